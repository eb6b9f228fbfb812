# The image compose.yaml runs (README: Running at scale): FlowAI and ffmpeg, nothing else.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY flowai ./flowai
COPY nodes ./nodes
COPY storage ./storage
COPY ui ./ui
RUN pip install --no-cache-dir .
ENV FLOWAI_HOME=/data
