"""Mode 2 of the Replicate tool guide: many prompts, one model, the same parameters, each file at its
own path, downloaded the moment its run finishes.

    python examples/batch_same_params.py
"""

from __future__ import annotations

import os

from flowai.client import FlowAI

# Change these: the prompts, the shared model and parameters, one output path per prompt.
BATCH_SAME_MODEL_PARAMS = {
    "prompts": ["sunset", "city", "robot", "forest"],
    "model": "black-forest-labs/flux-dev",
    "max_concurrent": 8,
    "output_filepath": [
        "output/scene_01_sunset.png",
        "output/scene_02_city.png",
        "output/scene_03_robot.png",
        "output/scene_04_forest.png",
    ],
    "aspect_ratio": "16:9",
    "output_format": "png",
}

FLOWAI_URL = os.environ.get("FLOWAI_URL", "http://127.0.0.1:8080")
FLOWAI_API_KEY = os.environ["FLOWAI_API_KEY"]
WORKFLOW_ID = os.environ["FLOWAI_WORKFLOW_ID"]


def progress(done: int, total: int, item) -> None:
    mark = "✅" if item.success else "❌"
    print(f"[{done}/{total}] {mark} {item.input['prompt']}: {item.files or item.error}", flush=True)


def batch_same_model(params: dict = BATCH_SAME_MODEL_PARAMS) -> list[str]:
    shared = {key: params[key] for key in ("model", "aspect_ratio", "output_format")}
    # 🚀 the core call: one run per prompt, max_concurrent at a time, files saved as each run ends
    with FlowAI(FLOWAI_URL, FLOWAI_API_KEY) as fai:
        results = fai.batch(
            WORKFLOW_ID,
            [{"prompt": p, **shared} for p in params["prompts"]],
            concurrency=params["max_concurrent"],
            output_paths=params["output_filepath"],
            on_progress=progress,
        )
    return [f for r in results if r.success for f in r.files]


if __name__ == "__main__":
    files = batch_same_model()
    print(f"生成了 {len(files)} 个文件")
