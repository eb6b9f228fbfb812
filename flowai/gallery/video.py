"""Gallery templates that end in one finished mp4: ContentPipeline, ProductIntro, ViralClips, EduVideo,
MusicVideoMaker, MyStoryAI."""

from __future__ import annotations

from flowai.workflows.builder import Graph, field

from .common import Template, replicate, staged
from .models import (
    AUTOCAPTION,
    CHATTERBOX,
    CHATTERBOX_PRO,
    CLAUDE,
    CODEFORMER,
    DOLPHIN,
    FLUX_DEV,
    KLING,
    KONTEXT_PRO,
    MULTITALK,
    MUSICGEN,
    SEEDANCE_LITE,
    SEEDANCE_PRO,
    UPSCALER,
    WHISPERX,
)

MUSIC = {"duration": 8, "output_format": "wav"}


def content_pipeline() -> dict:
    g = Graph(
        "ContentPipeline",
        "A document -> OCR -> analysis -> illustration -> upscale -> video -> voice-over -> music -> captions.",
    )
    g.input(
        field("document", "document", required=True, description="A PDF or an image of the page"),
        field("audience", default="a general audience"),
        label="开始",
        at=(0, 0),
    )
    replicate(g, "ocr", DOLPHIN, "OCR", (260, 0), {}, ports={"file": "file"})
    replicate(
        g, "analyse", CLAUDE, "内容分析", (520, 0),
        {"prompt": "Read this document and write a voice-over script of about 60 words that explains its key "
                   "message to {{in.audience}}. Plain sentences only, no headings.\n\n{{ocr.text}}",
         "max_tokens": 1024},
    )  # fmt: skip
    replicate(
        g, "illustrate", FLUX_DEV, "配图", (780, -120),
        {"prompt": "An editorial illustration without any text for this script: {{analyse.text}}",
         "aspect_ratio": "16:9", "output_format": "png"},
    )  # fmt: skip
    replicate(g, "upscale", UPSCALER, "图片增强", (1040, -120), {"image": "{{illustrate.file}}", "scale": 2})
    replicate(
        g, "video", SEEDANCE_PRO, "视频", (1300, -120),
        {"prompt": "A slow cinematic camera move across the illustration.", "image": "{{upscale.file}}",
         "duration": 5},
    )  # fmt: skip
    replicate(g, "voice", CHATTERBOX_PRO, "配音", (1040, 60), {"prompt": "{{analyse.text}}"})
    replicate(g, "music", MUSICGEN, "背景音乐", (1040, 200), {"prompt": "calm, light background music", **MUSIC})
    g.node(
        "mix", "compose", "合成", at=(1560, 0), video="{{video.file}}",
        steps=[{"op": "voiceover", "audio": "{{voice.file}}"},
               {"op": "music", "audio": "{{music.file}}", "volume": 0.25, "fade_out": 1}],
    )  # fmt: skip
    replicate(
        g, "captions", AUTOCAPTION, "字幕", (1820, 0),
        {"video_file_input": "{{mix.video}}", "output_video": True, "output_transcript": True},
    )  # fmt: skip
    g.output("{{captions.file}}", label="成片", at=(2080, 0))
    g.edge("in", "ocr", "document", "params.file").chain("ocr", "analyse", "illustrate", "upscale", "video", "mix")
    g.chain("analyse", "voice", "mix").chain("analyse", "music", "mix").chain("mix", "captions", "out")
    return staged(
        g.doc,
        ("document", "文档解析", ["ocr", "analyse"]),
        ("visuals", "视觉生成", ["illustrate", "upscale", "video"]),
        ("audio", "音频", ["voice", "music"]),
        ("post", "后期", ["mix", "captions"]),
    )


def product_intro() -> dict:
    g = Graph("ProductIntro", "A product image -> a background -> a short video -> a voice-over, in one mp4.")
    g.input(
        field("product", "image", required=True, description="The product photo"),
        field("script", required=True, max_length=1000, description="What the voice-over says"),
        field("scene", default="a sunlit wooden table with soft shadows"),
        label="开始",
        at=(0, 0),
    )
    replicate(
        g, "backdrop", KONTEXT_PRO, "背景美化", (280, 0),
        {"prompt": "Place this product on {{in.scene}}, professional product photography. Keep the product unchanged.",
         "output_format": "png"},
        ports={"input_image": "image"},
    )  # fmt: skip
    replicate(
        g, "clip", SEEDANCE_LITE, "产品视频", (540, 0),
        {"prompt": "The camera slowly orbits the product.", "image": "{{backdrop.file}}", "duration": 5},
    )  # fmt: skip
    replicate(g, "voice", CHATTERBOX_PRO, "配音", (540, 160), {"prompt": "{{in.script}}"})
    g.node(
        "merge", "compose", "合成", at=(800, 0), video="{{clip.file}}",
        steps=[{"op": "voiceover", "audio": "{{voice.file}}"}],
    )  # fmt: skip
    g.output("{{merge.video}}", label="产品视频", at=(1060, 0))
    g.edge("in", "backdrop", "product", "params.input_image").chain("backdrop", "clip", "merge", "out")
    g.chain("in", "voice", "merge")
    return g.doc


def viral_clips() -> dict:
    g = Graph("ViralClips", "An idea -> a vertical short video -> a caption -> music, in one mp4.")
    g.input(
        field("idea", required=True, max_length=1000, description="What happens in the clip"),
        field("caption", required=True, max_length=120, description="The on-screen caption"),
        field("music", default="upbeat electronic pop, catchy"),
        label="开始",
        at=(0, 0),
    )
    replicate(
        g, "clip", SEEDANCE_PRO, "短视频", (280, 0),
        {"prompt": "{{in.idea}}", "duration": 5, "aspect_ratio": "9:16", "resolution": "1080p"},
    )  # fmt: skip
    replicate(g, "music", MUSICGEN, "配乐", (280, 160), {"prompt": "{{in.music}}", **MUSIC})
    g.node(
        "edit", "compose", "剪辑", at=(560, 0), video="{{clip.file}}",
        steps=[{"op": "subtitles", "cues": [{"start": 0, "end": 5, "text": "{{in.caption}}"}], "font_size": 36},
               {"op": "music", "audio": "{{music.file}}", "volume": 0.8, "fade_out": 1}],
    )  # fmt: skip
    g.output("{{edit.video}}", label="成片", at=(840, 0))
    g.chain("in", "clip", "edit", "out").chain("in", "music", "edit")
    return g.doc


def edu_video() -> dict:
    g = Graph("EduVideo", "Lesson text -> one slide and one narration per paragraph -> one video.")
    g.input(
        field("lesson", required=True, max_length=20000, description="The lesson, one paragraph per slide"),
        label="开始",
        at=(0, 0),
    )
    g.node("parts", "split", "分段", at=(260, 0), text="{{in.lesson}}", mode="paragraphs")
    g.node(
        "slides", "loop", "每页课件", at=(520, 0), items="{{parts.items}}", concurrency=2, result="{{clip.video}}"
    )  # fmt: skip
    replicate(
        g, "slide", FLUX_DEV, "课件图", (540, 120),
        {"prompt": "A clear, friendly teaching illustration without text for: {{slides.item}}",
         "aspect_ratio": "16:9", "output_format": "png"},
        parent="slides",
    )  # fmt: skip
    replicate(g, "narrate", CHATTERBOX_PRO, "旁白", (540, 260), {"prompt": "{{slides.item}}"}, parent="slides")
    g.node(
        "clip", "compose", "单页视频", at=(800, 180), parent="slides",
        steps=[{"op": "animatic", "shots": [{"image": "{{slide.file}}", "audio": "{{narrate.file}}"}],
                "width": 1280, "height": 720}],
    )  # fmt: skip
    g.node("lesson", "compose", "课程视频", at=(1100, 0), steps=[])
    g.output("{{lesson.video}}", label="课程视频", at=(1360, 0))
    g.chain("in", "parts", "slides").chain("slide", "clip").chain("narrate", "clip")
    g.edge("slides", "lesson", "results", "clips").chain("lesson", "out")
    return staged(
        g.doc,
        ("slides", "课件与旁白", ["parts", "slides", "slide", "narrate", "clip"]),
        ("video", "成片", ["lesson"]),
    )


def music_video() -> dict:
    g = Graph("MusicVideoMaker", "A song -> its lyrics -> scenes -> clips -> a music video with the song under it.")
    g.input(
        field("song", "audio", required=True, description="The song (mp3 or wav)"),
        field("style", default="dreamy, cinematic, warm film look"),
        label="开始",
        at=(0, 0),
    )
    replicate(g, "lyrics", WHISPERX, "歌词转录", (260, 0), {}, ports={"audio_file": "audio"})
    replicate(
        g, "scenes", CLAUDE, "分镜", (520, 0),
        {"prompt": "These are a song's lyrics with timestamps: {{lyrics.output.segments}}\n"
                   "Write 3 short image prompts in the style '{{in.style}}' that follow the song, one per line, "
                   "no numbering, nothing else.",
         "max_tokens": 1024},
    )  # fmt: skip
    g.node("shots", "split", "镜头列表", at=(780, 0), text="{{scenes.text}}", mode="lines")
    g.node("each", "loop", "每个镜头", at=(1040, 0), items="{{shots.items}}", concurrency=2, result="{{motion.file}}")
    replicate(
        g, "frame", FLUX_DEV, "画面", (1060, 120),
        {"prompt": "{{each.item}}, {{in.style}}", "aspect_ratio": "16:9", "output_format": "png"},
        parent="each",
    )  # fmt: skip
    replicate(
        g, "motion", KLING, "动态镜头", (1300, 120),
        {"prompt": "{{each.item}}", "start_image": "{{frame.file}}", "duration": 5, "mode": "standard"},
        parent="each",
    )  # fmt: skip
    g.node(
        "mv", "compose", "MV 合成", at=(1600, 0),
        steps=[{"op": "voiceover", "audio": "{{in.song}}", "mode": "replace"}],
    )  # fmt: skip
    g.output("{{mv.video}}", label="MV", at=(1860, 0))
    g.edge("in", "lyrics", "song", "params.audio_file").chain("lyrics", "scenes", "shots", "each")
    g.chain("frame", "motion").edge("each", "mv", "results", "clips").chain("mv", "out")
    return staged(
        g.doc,
        ("listen", "音乐分析", ["lyrics", "scenes", "shots"]),
        ("scenes", "画面与镜头", ["each", "frame", "motion"]),
        ("edit", "合成", ["mv"]),
    )


def my_story() -> dict:
    g = Graph("MyStoryAI", "An old photo restored -> a story in a cloned voice -> the photo telling it, as a video.")
    g.input(
        field("photo", "image", required=True, description="An old portrait photo"),
        field("voice_sample", "audio", required=True, description="A few seconds of the voice to speak in"),
        field("story", required=True, max_length=2000, description="What the person says"),
        label="开始",
        at=(0, 0),
    )
    replicate(
        g, "restore", CODEFORMER, "照片修复", (280, -80),
        {"codeformer_fidelity": 0.7, "background_enhance": True, "face_upsample": True, "upscale": 2},
        ports={"image": "image"},
    )  # fmt: skip
    replicate(
        g, "voice", CHATTERBOX, "声音克隆", (280, 80), {"prompt": "{{in.story}}"}, ports={"audio_prompt": "audio"}
    )
    replicate(
        g, "talk", MULTITALK, "对话视频", (560, 0),
        {"image": "{{restore.file}}", "first_audio": "{{voice.file}}",
         "prompt": "A person warmly telling a story to the camera, natural head motion", "num_frames": 81},
    )  # fmt: skip
    g.node(
        "final", "compose", "成片", at=(840, 0), video="{{talk.file}}",
        steps=[{"op": "voiceover", "audio": "{{voice.file}}", "mode": "replace"}],
    )  # fmt: skip
    g.output("{{final.video}}", label="传记视频", at=(1100, 0))
    g.edge("in", "restore", "photo", "params.image").edge("in", "voice", "voice_sample", "params.audio_prompt")
    g.chain("restore", "talk").chain("voice", "talk", "final", "out")
    return g.doc


_UPSCALER_NOTE = "The book's 'upscaler' is no model name; nightmareai/real-esrgan stands in."
_MUSIC_EN = (
    "minimax/music-01 writes a song from lyrics; a background bed of a set length needs a prompt-to-music "
    "model, so meta/musicgen replaces it."
)
_MUSIC_ZH = (
    "minimax/music-01 依据歌词生成歌曲；需要固定时长的背景音乐时要用提示词生成音乐的模型，因此改用 meta/musicgen。"
)

TEMPLATES = (
    Template(
        "content_pipeline",
        "ContentPipeline",
        ("Content pipeline", "AI 内容工厂流水线"),
        ("One finished, captioned video from a document", "由一份文档生成带字幕的完整视频"),
        (
            "dolphin reads the document, claude-4-sonnet writes the script, flux-dev illustrates it, real-esrgan "
            "upscales, seedance-1-pro animates, chatterbox-pro voices it, the music plays under it and autocaption "
            f"captions the mixed video. {_UPSCALER_NOTE} {_MUSIC_EN} The optional modify-video and addwatermark "
            "steps are left out (compose can add a watermark without a model).",
            "dolphin 读取文档，claude-4-sonnet 写脚本，flux-dev 配图，real-esrgan 放大，seedance-1-pro 生成视频，"
            "chatterbox-pro 配音，加上背景音乐后由 autocaption 加字幕。创意书中的 “upscaler” 不是模型名，改用 "
            f"nightmareai/real-esrgan。{_MUSIC_ZH}"
            "可选的 modify-video 和 addwatermark 未使用（合成节点无需模型即可加水印）。",
        ),
        {
            DOLPHIN: 1,
            CLAUDE: 1,
            FLUX_DEV: 1,
            UPSCALER: 1,
            SEEDANCE_PRO: 1,
            CHATTERBOX_PRO: 1,
            MUSICGEN: 1,
            AUTOCAPTION: 1,
        },
        content_pipeline,
    ),
    Template(
        "product_intro",
        "ProductIntro",
        ("Product intro video", "AI 产品介绍视频"),
        ("A short product video with a voice-over (mp4)", "带配音的产品短视频（mp4）"),
        (
            "A new background, then seedance-1-lite animates it and chatterbox-pro reads the script; FlowAI "
            "merges them into one mp4. The book's flux-dev redraws the whole picture from a reference image "
            "(FlowAI's rules send it to an editing model anyway), so flux-kontext-pro, which keeps the product, "
            "sets the background.",
            "先换背景，再由 seedance-1-lite 生成视频、chatterbox-pro 朗读脚本，FlowAI 合成为一个 mp4。"
            "创意书中的 flux-dev 会按参考图重画整张图（FlowAI 的规则也会把它转给图像编辑模型），"
            "所以改用能保持产品原样的 flux-kontext-pro 来换背景。",
        ),
        {KONTEXT_PRO: 1, SEEDANCE_LITE: 1, CHATTERBOX_PRO: 1},
        product_intro,
    ),
    Template(
        "viral_clips",
        "ViralClips",
        ("Viral short clips", "AI 短视频工厂"),
        ("A vertical short video with a caption and music (mp4)", "带字幕和配乐的竖屏短视频（mp4）"),
        (
            "seedance-1-pro makes a 9:16 clip, the caption is burnt in and music laid under it. autocaption "
            "captions speech, and a clip made from text has none, so FlowAI's compose burns the caption text in "
            f"(no model). {_MUSIC_EN}",
            "seedance-1-pro 生成 9:16 短视频，烧录字幕并加配乐。autocaption 为语音加字幕，而由文字生成的视频没有语音，"
            f"因此由 FlowAI 的合成节点直接烧录字幕文字（无需模型）。{_MUSIC_ZH}",
        ),
        {SEEDANCE_PRO: 1, MUSICGEN: 1},
        viral_clips,
    ),
    Template(
        "edu_video",
        "EduVideo",
        ("Lesson video maker", "AI 课程制作"),
        ("A narrated lesson video, one slide per paragraph (mp4)", "每段一页课件、带旁白的课程视频（mp4）"),
        (
            "Each paragraph gets a flux-dev slide and a chatterbox-pro narration; each slide is held for its "
            "narration and the clips are joined. The book's kling-v2.1 demo clips are left out: a lesson's "
            "picture is its slides (no model cost); add a kling node to the loop for motion.",
            "每段文字由 flux-dev 生成课件图、chatterbox-pro 生成旁白；每页课件按旁白时长展示，再拼接成片。"
            "创意书中的 kling-v2.1 演示视频未使用：课程的画面就是课件（无模型费用）；"
            "需要动态画面时可在循环中加入 kling 节点。",
        ),
        {FLUX_DEV: 3, CHATTERBOX_PRO: 3},
        edu_video,
        items=3,
    ),
    Template(
        "music_video",
        "MusicVideoMaker",
        ("Music video maker", "AI 音乐 MV 制作"),
        ("A music video with the song under it (mp4)", "配上原曲的音乐视频（mp4）"),
        (
            "whisperx transcribes the lyrics, claude-4-sonnet turns them into scene prompts, flux-dev draws "
            "each scene and kling-v2.1 animates it; the clips are joined with the song as their sound. "
            "claude-4-sonnet (not in the book's three) writes the scenes from the lyrics.",
            "whisperx 转录歌词，claude-4-sonnet 据此写出分镜提示词，flux-dev 画出每个场景，kling-v2.1 让它动起来；"
            "片段拼接后以原曲为声音。claude-4-sonnet（不在创意书的三个模型中）负责从歌词写分镜。",
        ),
        {WHISPERX: 1, CLAUDE: 1, FLUX_DEV: 3, KLING: 3},
        music_video,
        items=3,
    ),
    Template(
        "my_story",
        "MyStoryAI",
        ("Life-story video", "AI 个人传记视频"),
        ("The restored photo telling a story in a cloned voice (mp4)", "修复后的照片用克隆的声音讲故事（mp4）"),
        (
            "codeformer restores the photo, the story is spoken in the sample's voice and multitalk makes the "
            "photo speak it (a model with two media inputs: image and audio). The book's realistic-voice-cloning "
            "converts an existing recording to a pre-trained RVC voice and cannot speak new text, so "
            "resemble-ai/chatterbox, which speaks text in the voice of a short reference clip, replaces it.",
            "codeformer 修复照片，用样本的声音朗读故事，multitalk 让照片开口讲述（有图像和音频两个媒体输入的模型）。"
            "创意书中的 realistic-voice-cloning 只能把已有录音转换成预训练的 RVC 声音，不能朗读新文字，"
            "因此改用能按一小段参考音频的声音朗读文字的 resemble-ai/chatterbox。",
        ),
        {CODEFORMER: 1, CHATTERBOX: 1, MULTITALK: 1},
        my_story,
    ),
)
