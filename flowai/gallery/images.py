"""Gallery templates that make pictures: ProductShoot, PhotoRestore, AvatarMaker, BrandAI, HomeVisualizer."""

from __future__ import annotations

from flowai.workflows.builder import Graph, field

from .common import Template, replicate, staged
from .models import (
    DDCOLOR,
    FLUX_DEV,
    IDEOGRAM,
    KONTEXT_MAX,
    KONTEXT_PRO,
    OLD_PHOTOS,
    RECRAFT_SVG,
    REMOVE_BG,
    TRELLIS,
    UPSCALER,
)

PHOTO = {"image": "image"}


def product_shoot() -> dict:
    g = Graph("ProductShoot", "Product photos -> background removed -> a scene -> upscaled, for a whole batch.")
    g.input(
        field("products", "json", required=True, description="A list of product photo URLs"),
        field("scene", default="on a white marble table in soft morning light, studio product photography"),
        label="开始",
        at=(0, 0),
    )
    g.node(
        "batch", "loop", "每张产品图", at=(300, 0), items="{{in.products}}", concurrency=2, on_error="collect",
        result="{{upscale.file}}",
    )  # fmt: skip
    replicate(g, "cutout", REMOVE_BG, "抠图", (320, 120), {"image": "{{batch.item}}"}, parent="batch")
    replicate(
        g, "scene", KONTEXT_MAX, "场景合成", (560, 120),
        {"prompt": "Place this product {{in.scene}}. Keep the product exactly as it is.",
         "input_image": "{{cutout.file}}", "output_format": "png"},
        parent="batch",
    )  # fmt: skip
    replicate(g, "upscale", UPSCALER, "高清放大", (800, 120), {"image": "{{scene.file}}", "scale": 2}, parent="batch")
    g.output("{{batch.results}}", label="产品图", at=(1100, 0), name="images")
    g.output("{{batch.errors}}", id="failed", label="失败项", at=(1100, 160), name="failed")
    g.edge("in", "batch").edge("cutout", "scene").edge("scene", "upscale")
    g.edge("batch", "out", "results", "value").edge("batch", "failed", "errors", "value")
    return staged(g.doc, ("batch", "批量处理", ["batch", "cutout", "scene", "upscale"]))


def photo_restore() -> dict:
    g = Graph("PhotoRestore", "An old photo -> restored -> colourised -> upscaled.")
    g.input(field("photo", "image", required=True, description="The old photo"), label="开始", at=(0, 0))
    replicate(g, "restore", OLD_PHOTOS, "修复", (300, 0), {"with_scratch": True, "HR": False}, ports=PHOTO)
    replicate(g, "colour", DDCOLOR, "上色", (560, 0), {"image": "{{restore.file}}", "model_size": "large"})
    replicate(g, "upscale", UPSCALER, "高清放大", (820, 0), {"image": "{{colour.file}}", "scale": 2})
    g.output("{{upscale.file}}", label="修复后的照片", at=(1080, 0))
    g.edge("in", "restore", "photo", "params.image").chain("restore", "colour", "upscale", "out")
    return g.doc


def avatar_maker() -> dict:
    g = Graph("AvatarMaker", "A photo -> one avatar per style -> upscaled.")
    g.input(
        field("photo", "image", required=True, description="A clear photo of a face"),
        field("styles", default="professional headshot, watercolor portrait, 3D cartoon character"),
        label="开始",
        at=(0, 0),
    )
    g.node("styles", "split", "风格列表", at=(260, 0), text="{{in.styles}}", mode="comma")
    g.node("each", "loop", "每种风格", at=(520, 0), items="{{styles.items}}", concurrency=2, result="{{upscale.file}}")
    replicate(
        g, "stylize", KONTEXT_PRO, "风格化", (540, 120),
        {"prompt": "Turn this photo into a {{each.item}} avatar. Keep the person recognisable, centred face.",
         "input_image": "{{in.photo}}", "aspect_ratio": "1:1", "output_format": "png"},
        parent="each",
    )  # fmt: skip
    replicate(g, "upscale", UPSCALER, "高清放大", (780, 120), {"image": "{{stylize.file}}", "scale": 2}, parent="each")
    g.output("{{each.results}}", label="头像", at=(1080, 0))
    g.edge("in", "styles").edge("styles", "each").edge("stylize", "upscale").edge("each", "out", "results", "value")
    return g.doc


def brand_ai() -> dict:
    g = Graph("BrandAI", "A brand brief -> an SVG logo -> brand materials -> a poster.")
    g.input(
        field("brand", required=True, max_length=100, description="The brand's name"),
        field("brief", default="a friendly neighbourhood coffee roaster", max_length=1000),
        field("colours", default="deep green and cream"),
        field("slogan", default="Fresh every morning", max_length=200),
        label="开始",
        at=(0, 0),
    )
    replicate(
        g, "logo", RECRAFT_SVG, "Logo", (300, 0),
        {"prompt": "A simple, memorable vector logo for {{in.brand}}, {{in.brief}}. Colours: {{in.colours}}. "
                   "Flat shapes, no mock-up.", "size": "1024x1024"},
    )  # fmt: skip
    replicate(
        g, "materials", FLUX_DEV, "品牌物料", (560, 0),
        {"prompt": "Brand identity mock-up for {{in.brand}} ({{in.brief}}): business card, paper cup and "
                   "packaging in {{in.colours}}, clean studio light.",
         "aspect_ratio": "3:2", "num_outputs": 2, "output_format": "png"},
    )  # fmt: skip
    replicate(
        g, "poster", IDEOGRAM, "海报", (820, 0),
        {"prompt": 'A marketing poster for {{in.brand}} with the headline "{{in.slogan}}", in {{in.colours}}.',
         "aspect_ratio": "2:3", "style_reference_images": ["{{materials.file}}"]},
    )  # fmt: skip
    g.output("{{logo.file}}", label="Logo (SVG)", at=(1100, -120), name="logo")
    g.output("{{materials.files}}", id="out_materials", label="品牌物料", at=(1100, 0), name="materials")
    g.output("{{poster.file}}", id="out_poster", label="海报", at=(1100, 120), name="poster")
    g.chain("in", "logo", "materials", "poster")
    g.edge("logo", "out").edge("materials", "out_materials").edge("poster", "out_poster")
    return g.doc


def home_visualizer() -> dict:
    g = Graph("HomeVisualizer", "A room photo -> restyled -> a 3D model of the restyled room.")
    g.input(
        field("room", "image", required=True, description="A photo of the room"),
        field("style", default="modern minimalist with warm wood and linen"),
        label="开始",
        at=(0, 0),
    )
    replicate(
        g, "restyle", KONTEXT_PRO, "装修风格", (300, 0),
        {"prompt": "Redecorate this room in a {{in.style}} style. Keep the walls, windows and layout.",
         "output_format": "png"},
        ports={"input_image": "image"},
    )  # fmt: skip
    replicate(
        g, "model3d", TRELLIS, "3D 模型", (560, 0),
        {"images": ["{{restyle.file}}"], "generate_model": True, "texture_size": 1024},
    )  # fmt: skip
    g.output("{{restyle.file}}", label="效果图", at=(840, -80), name="image")
    g.output("{{model3d.output.model_file}}", id="out_model", label="3D 模型 (GLB)", at=(840, 80), name="model")
    g.edge("in", "restyle", "room", "params.input_image").chain("restyle", "model3d", "out_model")
    g.edge("restyle", "out")
    return g.doc


TEMPLATES = (
    Template(
        "product_shoot",
        "ProductShoot",
        ("Product photo studio", "AI 产品摄影工厂"),
        ("Studio product photos, a batch at a time", "批量生成的专业产品图"),
        (
            "Each product photo of a batch loses its background (bria/remove-background, from the idea book's "
            "e-commerce chain), is placed in a scene by flux-kontext-max and upscaled. The book's 'upscaler' is "
            "no Replicate model: nightmareai/real-esrgan, the faithful and cheap one, stands in.",
            "批量中的每张产品图先抠图（bria/remove-background，取自创意书的电商流程），再由 flux-kontext-max "
            "合成场景并放大。创意书中的 “upscaler” 并非 Replicate 上的模型名："
            "改用忠实且便宜的 nightmareai/real-esrgan。",
        ),
        {REMOVE_BG: 3, KONTEXT_MAX: 3, UPSCALER: 3},
        product_shoot,
        items=3,
    ),
    Template(
        "photo_restore",
        "PhotoRestore",
        ("Old photo restorer", "AI 老照片修复"),
        ("A restored, colourised, sharper photo", "修复、上色并放大后的照片"),
        (
            "bringing-old-photos-back-to-life repairs scratches, ddcolor colourises, then real-esrgan upscales "
            "(the book's two models plus an upscale; 'upscaler' is no model name, real-esrgan stands in).",
            "bringing-old-photos-back-to-life 修复划痕，ddcolor 上色，再由 real-esrgan 放大"
            "（创意书的两个模型加一步放大；“upscaler” 不是模型名，改用 real-esrgan）。",
        ),
        {OLD_PHOTOS: 1, DDCOLOR: 1, UPSCALER: 1},
        photo_restore,
    ),
    Template(
        "avatar_maker",
        "AvatarMaker",
        ("Avatar maker", "AI 头像制作"),
        ("One polished avatar per style", "每种风格一张精美头像"),
        (
            "flux-kontext-pro restyles the photo once per style of a comma-separated list, and each avatar is "
            "upscaled by real-esrgan (standing in for the book's 'upscaler', which is no model name).",
            "flux-kontext-pro 按逗号分隔的风格列表逐一重绘照片，每张头像再由 real-esrgan 放大"
            "（代替创意书中的 “upscaler”，它不是模型名）。",
        ),
        {KONTEXT_PRO: 3, UPSCALER: 3},
        avatar_maker,
        items=3,
    ),
    Template(
        "brand_ai",
        "BrandAI",
        ("Brand designer", "AI 品牌设计师"),
        ("An SVG logo, brand mock-ups and a poster", "SVG Logo、品牌物料与海报"),
        (
            "recraft-v3-svg draws the logo as SVG, flux-dev the brand materials and ideogram-v3-quality the "
            "poster in the materials' style, as the book names them. flux-dev's image input takes raster images, "
            "not SVG, so the materials follow the brief and colours rather than the logo file.",
            "recraft-v3-svg 生成 SVG Logo，flux-dev 生成品牌物料，ideogram-v3-quality 按物料的风格生成海报，"
            "与创意书一致。flux-dev 的图像输入只接受位图而非 SVG，所以物料依据简介和配色生成，而不是 Logo 文件。",
        ),
        {RECRAFT_SVG: 1, FLUX_DEV: 2, IDEOGRAM: 1},
        brand_ai,
    ),
    Template(
        "home_visualizer",
        "HomeVisualizer",
        ("Home makeover visualiser", "AI 房产装修助手"),
        ("A restyled room photo and a 3D model (GLB)", "装修效果图和 3D 模型（GLB）"),
        (
            "flux-kontext-pro restyles the room photo and trellis turns the result into a 3D model, "
            "the two models the book names.",
            "flux-kontext-pro 改变房间的装修风格，trellis 再把效果图变成 3D 模型，即创意书所列的两个模型。",
        ),
        {KONTEXT_PRO: 1, TRELLIS: 1},
        home_visualizer,
    ),
)
