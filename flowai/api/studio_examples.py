"""The design document's request and response examples (its sections 2-8), as the OpenAPI
document's examples of the video-studio routes (flowai.api.openapi): ``(method, path) -> {"request":
..., "response": ...}``; the response is the whole envelope, as the document shows it."""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/workflow"): {
        "request": {
            "name": "我的视频项目",
            "input_type": "novel",
            "input_content": "小说内容或文件URL",
            "options": {"ai_provider": "gemini", "preferences": {}},
        },
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "workflow_id": "507f1f77bcf86cd799439011",
                "status": "pending",
                "created_at": "2024-01-01T00:00:00Z",
            },
        },
    },
    ("get", "/workflow/{workflow_id}"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "id": "507f1f77bcf86cd799439011",
                "name": "我的视频项目",
                "status": "running",
                "current_stage": "storyboard",
                "progress": 0.5,
                "script": {
                    "id": "script_001",
                    "status": "completed",
                    "screenplay": "剧本内容...",
                    "storyboard_script": "分镜脚本...",
                },
                "assets": [],
                "storyboard": {"id": "storyboard_001", "status": "processing", "shots_count": 10, "completed_shots": 5},
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:30:00Z",
            },
        }
    },
    ("get", "/workflow"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "workflows": [
                    {
                        "id": "507f1f77bcf86cd799439011",
                        "name": "我的视频项目",
                        "status": "running",
                        "current_stage": "storyboard",
                        "progress": 0.5,
                        "created_at": "2024-01-01T00:00:00Z",
                    }
                ],
                "total": 100,
                "page": 1,
                "page_size": 20,
            },
        }
    },
    ("post", "/workflow/{workflow_id}/pause"): {
        "response": {"code": 0, "message": "success", "data": {"id": "507f1f77bcf86cd799439011", "status": "paused"}}
    },
    ("post", "/workflow/{workflow_id}/resume"): {
        "response": {"code": 0, "message": "success", "data": {"id": "507f1f77bcf86cd799439011", "status": "running"}}
    },
    ("post", "/workflow/{workflow_id}/cancel"): {
        "response": {"code": 0, "message": "success", "data": {"id": "507f1f77bcf86cd799439011", "status": "cancelled"}}
    },
    ("get", "/workflow/{workflow_id}/progress"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "workflow_id": "507f1f77bcf86cd799439011",
                "overall_progress": 0.5,
                "current_stage": "storyboard",
                "stage_progress": 0.6,
                "stages": [
                    {"stage": "script", "status": "completed", "progress": 1.0},
                    {"stage": "asset", "status": "completed", "progress": 1.0},
                    {"stage": "storyboard", "status": "processing", "progress": 0.6},
                ],
            },
        }
    },
    ("post", "/workflow/script"): {
        "request": {
            "workflow_id": "507f1f77bcf86cd799439011",
            "input_type": "novel",
            "input_content": "小说内容...",
            "input_file_url": "https://storage.example.com/novel.txt",
            "options": {"ai_provider": "gemini", "model": "gemini-3-pro"},
        },
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_001", "status": "pending"}},
    },
    ("get", "/workflow/script/{script_id}"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "id": "script_001",
                "input_type": "novel",
                "screenplay": "完整剧本内容...",
                "storyboard_script": "分镜头脚本...",
                "status": "completed",
                "created_at": "2024-01-01T00:00:00Z",
            },
        }
    },
    ("post", "/workflow/script/upload"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "file_url": "https://storage.example.com/workflows/xxx/script/input/novel.txt",
                "file_size": 1024000,
                "content_type": "text/plain",
            },
        }
    },
    ("post", "/workflow/assets"): {
        "request": {
            "workflow_id": "507f1f77bcf86cd799439011",
            "script_id": "script_001",
            "options": {"ai_provider": "gemini", "image_provider": "seedream"},
        },
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_002", "status": "pending"}},
    },
    ("get", "/workflow/assets"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "assets": [
                    {
                        "id": "asset_001",
                        "type": "character",
                        "name": "主角",
                        "description": "角色描述...",
                        "prompt": "生成提示词...",
                        "design_image_url": "https://storage.example.com/...",
                        "status": "completed",
                    }
                ],
                "total": 10,
            },
        }
    },
    ("post", "/workflow/assets/{asset_id}/upload"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "asset_id": "asset_001",
                "reference_image_url": "https://storage.example.com/...",
                "status": "pending",
            },
        }
    },
    ("post", "/workflow/assets/{asset_id}/regenerate"): {
        "request": {"prompt": "新的提示词（可选）", "options": {"ai_provider": "seedream"}},
        "response": {"code": 0, "message": "success", "data": {"asset_id": "asset_001", "status": "processing"}},
    },
    ("post", "/workflow/storyboard"): {
        "request": {
            "workflow_id": "507f1f77bcf86cd799439011",
            "script_id": "script_001",
            "options": {"grid_layout": "3x3", "ai_provider": "banana-pro", "auto_crop": True},
        },
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_003", "status": "pending"}},
    },
    ("get", "/workflow/storyboard/{storyboard_id}"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "id": "storyboard_001",
                "shots": [
                    {
                        "id": "shot_001",
                        "sequence": 1,
                        "prompt": "分镜提示词...",
                        "shot_type": "close-up",
                        "image_url": "https://storage.example.com/...",
                        "cropped_image_url": "https://storage.example.com/...",
                        "dialogue": "台词内容",
                        "duration": 3.5,
                    }
                ],
                "grid_layout": "3x3",
                "grid_image_url": "https://storage.example.com/...",
                "status": "completed",
            },
        }
    },
    ("put", "/workflow/storyboard/{storyboard_id}/shots/{shot_id}"): {
        "request": {
            "prompt": "新的提示词",
            "replacements": {
                "character": "新角色描述",
                "scene": "新场景描述",
                "action": "新动作描述",
                "shot_type": "medium",
            },
        },
        "response": {
            "code": 0,
            "message": "success",
            "data": {"shot_id": "shot_001", "prompt": "更新后的提示词", "status": "pending_regeneration"},
        },
    },
    ("post", "/workflow/storyboard/{storyboard_id}/regenerate"): {
        "request": {"shot_ids": ["shot_001", "shot_002"], "options": {"ai_provider": "banana-pro"}},
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_004", "status": "pending"}},
    },
    ("post", "/workflow/animatic"): {
        "request": {
            "workflow_id": "507f1f77bcf86cd799439011",
            "storyboard_id": "storyboard_001",
            "options": {
                "video_provider": "sora2",
                "audio_provider": "elevenlabs",
                "duration_control": {"min": 2.0, "max": 5.0},
            },
        },
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_005", "status": "pending"}},
    },
    ("get", "/workflow/animatic/{animatic_id}"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "id": "animatic_001",
                "video_url": "https://storage.example.com/...",
                "audio_url": "https://storage.example.com/...",
                "shots": [
                    {
                        "shot_id": "shot_001",
                        "video_url": "https://storage.example.com/...",
                        "audio_url": "https://storage.example.com/...",
                        "start_time": 0.0,
                        "duration": 3.5,
                    }
                ],
                "total_duration": 120.0,
                "status": "completed",
            },
        }
    },
    ("post", "/workflow/animatic/{animatic_id}/audio"): {
        "request": {
            "text": "台词内容",
            "shot_id": "shot_001",
            "options": {"provider": "elevenlabs", "voice_id": "voice_001"},
        },
        "response": {
            "code": 0,
            "message": "success",
            "data": {"shot_id": "shot_001", "audio_url": "https://storage.example.com/...", "duration": 3.5},
        },
    },
    ("post", "/workflow/video"): {
        "request": {
            "workflow_id": "507f1f77bcf86cd799439011",
            "animatic_id": "animatic_001",
            "options": {"provider": "sora2", "quality": "high", "parallel": True},
        },
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_006", "status": "pending"}},
    },
    ("get", "/workflow/video/{video_id}/progress"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "video_id": "video_001",
                "progress": 0.6,
                "total_segments": 10,
                "completed_segments": 6,
                "segments": [
                    {"id": "segment_001", "status": "completed", "video_url": "https://storage.example.com/..."},
                    {"id": "segment_002", "status": "processing", "progress": 0.5},
                ],
            },
        }
    },
    ("get", "/workflow/video/{video_id}"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "id": "video_001",
                "segments": [
                    {
                        "id": "segment_001",
                        "animatic_shot_id": "shot_001",
                        "video_url": "https://storage.example.com/...",
                        "duration": 3.5,
                        "status": "completed",
                    }
                ],
                "status": "completed",
            },
        }
    },
    ("post", "/workflow/edit"): {
        "request": {
            "workflow_id": "507f1f77bcf86cd799439011",
            "video_id": "video_001",
            "options": {"add_audio_effects": True, "add_background_music": True, "music_style": "cinematic"},
        },
        "response": {"code": 0, "message": "success", "data": {"task_id": "task_007", "status": "pending"}},
    },
    ("post", "/workflow/edit/{edit_id}/music"): {
        "request": {
            "music_url": "https://storage.example.com/music.mp3",
            "volume": 0.3,
            "fade_in": 2.0,
            "fade_out": 2.0,
        },
        "response": {"code": 0, "message": "success", "data": {"edit_id": "edit_001", "status": "processing"}},
    },
    ("get", "/workflow/edit/{edit_id}"): {
        "response": {
            "code": 0,
            "message": "success",
            "data": {
                "id": "edit_001",
                "final_video_url": "https://storage.example.com/final.mp4",
                "audio_effects": ["effect_001", "effect_002"],
                "background_music_url": "https://storage.example.com/music.mp3",
                "status": "completed",
                "duration": 120.0,
            },
        }
    },
}
