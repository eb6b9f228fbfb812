"""Mode 3 of the Replicate tool guide: a batch mixing models and parameters per request, with
retries per batch, and a success / failure summary.

    python examples/batch_mixed_models.py
"""

from __future__ import annotations

import os

from flowai.client import FlowAI

# Change these: each request names its model and parameters (the workflow's input fields).
MIXED_MODEL_REQUESTS = [
    {"prompt": "High quality portrait", "model": "google/imagen-4-ultra", "aspect_ratio": "4:3", "name": "portrait"},
    {"prompt": "Anime style character", "model": "black-forest-labs/flux-dev", "aspect_ratio": "1:1", "name": "anime"},
    {"prompt": "A watercolour harbour", "model": "qwen/qwen-image", "aspect_ratio": "16:9", "name": "harbour"},
]
MAX_CONCURRENT = 15
MAX_RETRIES = 3
OUTPUT_DIR = "output/mixed"

FLOWAI_URL = os.environ.get("FLOWAI_URL", "http://127.0.0.1:8080")
FLOWAI_API_KEY = os.environ["FLOWAI_API_KEY"]
WORKFLOW_ID = os.environ["FLOWAI_WORKFLOW_ID"]


def advanced_mixed_models(requests: list[dict] = MIXED_MODEL_REQUESTS) -> list:
    # 🚀 the core call: every request with its own model and parameters, files named after each request
    with FlowAI(FLOWAI_URL, FLOWAI_API_KEY) as fai:
        return fai.batch(
            WORKFLOW_ID,
            requests,
            concurrency=MAX_CONCURRENT,
            max_retries=MAX_RETRIES,
            out=OUTPUT_DIR,
            name_template="{index:02d}_{input.name}.{ext}",
        )


if __name__ == "__main__":
    results = advanced_mixed_models()
    successful_files, failed_count = [], 0
    for result in results:
        if result.success:
            print(f"✅ 成功: {result.files}")
            successful_files.extend(result.files)
        else:
            failed_count += 1
            print(f"❌ 失败: {result.error}")
    print(f"成功: {len(successful_files)}, 失败: {failed_count}")
    raise SystemExit(1 if failed_count else 0)
