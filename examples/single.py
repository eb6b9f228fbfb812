"""Mode 1 of the Replicate tool guide: one image, written where you want it.

Set up once (see examples/README.md): the workflow examples/replicate_image.json published, an API
key, and FLOWAI_URL / FLOWAI_API_KEY / FLOWAI_WORKFLOW_ID in the environment. Then:

    python examples/single.py
"""

from __future__ import annotations

import os

from flowai.client import FlowAI, numbered

# Change these: the model, its prompt and parameters, and where the file goes.
SINGLE_IMAGE_PARAMS = {
    "prompt": "A beautiful sunset over mountains",
    "model": "black-forest-labs/flux-dev",
    "aspect_ratio": "16:9",
    "output_format": "png",
}
OUTPUT_FILEPATH = "output/my_image.png"

FLOWAI_URL = os.environ.get("FLOWAI_URL", "http://127.0.0.1:8080")
FLOWAI_API_KEY = os.environ["FLOWAI_API_KEY"]
WORKFLOW_ID = os.environ["FLOWAI_WORKFLOW_ID"]


def single_image_generation(params: dict = SINGLE_IMAGE_PARAMS, output_filepath: str = OUTPUT_FILEPATH) -> list[str]:
    # 🚀 the core call: run the workflow, then download its file(s) to the chosen path
    with FlowAI(FLOWAI_URL, FLOWAI_API_KEY, max_retries=3) as fai:
        result = fai.run(WORKFLOW_ID, params)
        folder, name = os.path.split(output_filepath)
        names = [numbered(name, n) for n in range(len(result.files))]  # my_image.png, my_image_1.png, ...
        paths = fai.download(result.files, folder or ".", names=names)
    return [str(p) for p in paths]


if __name__ == "__main__":
    file_paths = single_image_generation()
    print(f"生成的文件: {file_paths[0]}")
