"""The bare-Starlette floor for the throughput benchmark: the run API's route shape, parsing the
same JSON body and answering ``{"output", "total_time"}``, with nothing else (no auth, no
engine, no database). Served like ``flowai api`` serves FlowAI: uvicorn, default (auto) loop and
HTTP implementation, access log off. ``python -m bench.bare_starlette --port N``.
"""

from __future__ import annotations

import argparse
import time

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def run(request: Request) -> Response:
    t0 = time.perf_counter()
    body = orjson.loads(await request.body())
    text = body["input"]["输入"]
    answer = {"output": f"在呢。你说的是：{text}", "total_time": time.perf_counter() - t0}
    return Response(orjson.dumps(answer), media_type="application/json")


async def health(request: Request) -> Response:
    return Response(b"ok")


app = Starlette(routes=[Route("/v1/api/workflow/run/{workflow_id}", run, methods=["POST"]), Route("/health", health)])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
