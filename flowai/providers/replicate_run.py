"""One Replicate call through the rules table: the three automatic fallbacks, then outputs kept.

    Rule 1 image_input  a reference image given to a model that takes none (per its schema or the
                        table), or whose table entry names an ``edit_model``, goes to that image-editing
                        model, params translated (flux-dev -> flux-kontext-max, ``image`` -> ``input_image``).
    Rule 2 params       params the model's schema does not accept are dropped with a warning, or the
                        call moves to the model the table names for them (``moves``). A count the
                        model lacks (``num_outputs`` on kontext) becomes that many calls.
    Rule 3 chain        a failed prediction, or a 5xx / 429 / timeout left after the client's retries,
                        walks the model's ``chain`` (flux-dev -> qwen-image -> imagen-4-ultra), params
                        mapped from the ones given (nearest aspect ratio, seed dropped for imagen, ...).

Every fallback taken is one record in ``usage.fallbacks``:
``{"provider", "model", "rule", "reason", "status", "to"?, "dropped"?}``. Outputs are normalised
(a single file URL becomes a list); when its prediction ends every file is, given ``store``, streamed
into storage (``store(url)``, nothing held in memory) and its URL replaced by the stored one, else
downloaded (``result.media``); text outputs (iterators) are joined.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import orjson

from flowai.errors import ProviderError

from .base import Media, Usage
from .family import gather
from .replicate_rules import Switch, chainable, fit, properties

Store = Callable[[str], Coroutine[Any, Any, str]]  # an output file's URL -> the URL of its stored copy
MAX_REPEAT = 10


@dataclass
class ReplicateResult:
    model: str  # the model that served the call (after fallbacks)
    output: Any  # normalised output, file URLs replaced by stored ones
    files: list[str]
    text: str | None
    usage: Usage
    media: list[Media] = field(repr=False, default_factory=list)
    predictions: list[str | None] = field(default_factory=list)  # their ids, as the API gave them

    def usage_dict(self) -> dict[str, Any]:
        return {**self.usage.as_dict(), "predictions": self.predictions}


@dataclass
class _Plan:
    model: str
    input: dict[str, Any]
    repeat: int = 1


async def run_with_rules(
    client,
    model: str,
    params: dict[str, Any],
    *,
    image: str | None = None,
    store: Store | None = None,
    task: str = "replicate",
) -> ReplicateResult:
    rules = client.rules
    requested = rules.resolve(model)
    params = dict(params or {})
    source_schema, _ = await client.schemas_or_none(requested)
    for key in dict.fromkeys([rules.image_param(requested, source_schema), "image"]):
        if image is None and key and isinstance(params.get(key), str) and params[key]:
            image = params.pop(key)  # a reference image written into the params takes the same rules
    fallbacks: list[dict[str, Any]] = []
    plan = await _plan(client, requested, requested, params, image, fallbacks, stage="first")
    assert plan is not None  # only a chain model is ever skipped
    attempts: list[dict[str, Any]] = []
    tried: set[str] = set()
    chain: list[str] | None = None
    while True:
        tried.add(plan.model)
        try:
            predictions = await _execute(client, plan, fallbacks)
            break
        except ProviderError as exc:
            if not chainable(exc):
                raise
            failure = {
                "provider": client.name,
                "model": plan.model,
                "rule": "chain",
                "reason": exc.message,
                "status": exc.http_status,
            }
            attempts.append(failure)
            fallbacks.append(failure)
            if chain is None:
                chain = rules.chain(plan.model) or rules.chain(requested)
            nxt = None
            while chain and nxt is None:
                hop = chain.pop(0)
                if hop not in tried:
                    nxt = await _plan(client, requested, hop, params, image, fallbacks, stage="chain")
            if nxt is None:
                if len(attempts) == 1:
                    raise
                reasons = "; ".join(f"{a['model']}: {a['reason']}" for a in attempts)
                raise ProviderError(
                    f"{client.name}: every model of the fallback chain failed ({reasons})",
                    provider=client.name,
                    retryable=True,
                    detail={"attempts": attempts},
                ) from None
            failure["to"] = nxt.model
            plan = nxt
    return await _finish(client, plan, predictions, fallbacks, store, task)


async def _plan(
    client, requested: str, target: str, params: dict[str, Any], image: str | None, fallbacks: list[dict], *, stage: str
) -> _Plan | None:
    """The input for ``target`` (params are written for ``requested``); None to skip a chain model."""
    rules, name = client.rules, client.name
    schema, _ = await client.schemas_or_none(target)
    if target == requested:
        inp, dropped = dict(params), []
    else:
        source_schema, _ = await client.schemas_or_none(requested)
        inp, dropped = rules.translate(requested, target, params, source_schema)
    if image:
        own = rules.image_param(target, schema)
        if stage == "first":  # Rule 1
            edit = rules.edit_model(target, explicit_only=True) or (None if own else rules.edit_model(target))
            if edit and edit != target:
                why = (
                    f"{target} takes no reference image"
                    if own is None
                    else f"the rules send reference images given to {target} to {edit}"
                )
                fallbacks.append(Switch("image_input", why, target, to=edit).record(name))
                return await _plan(client, requested, edit, params, image, fallbacks, stage="switched")
        if own is None:
            if stage == "chain" and rules.table.get("chain_with_image", "skip") == "skip":
                fallbacks.append(Switch("chain", f"skipped {target}: it takes no reference image", target).record(name))
                return None
            fallbacks.append(
                Switch("image_input", f"{target} takes no reference image: the image was dropped", target).record(name)
            )
        else:
            inp[own] = [image] if properties(schema).get(own, {}).get("type") == "array" else image
    repeat = 1
    count = rules.table.get("count_param")
    if schema is not None and count and count in inp and count not in properties(schema):
        try:
            repeat = max(1, min(int(inp.pop(count)), MAX_REPEAT))
        except (TypeError, ValueError):
            repeat = 1
    fitted, unknown, refused = fit(inp, schema)
    if unknown and stage == "first":  # Rule 2: the table may name a model that accepts them
        to = rules.moves_for(target, unknown)
        if to and to != target:
            fallbacks.append(
                Switch("params", f"{target} does not accept {', '.join(unknown)}", target, to=to).record(name)
            )
            return await _plan(client, requested, to, params, image, fallbacks, stage="switched")
    dropped = [*dropped, *unknown, *refused]
    if dropped:
        record = Switch("params", f"{target} does not accept {', '.join(dropped)}: dropped", target).record(name)
        fallbacks.append({**record, "dropped": dropped})
    return _Plan(target, fitted, repeat)


async def _execute(client, plan: _Plan, fallbacks: list[dict]) -> list[dict]:
    try:
        return await _predictions(client, plan)
    except ProviderError as exc:
        unknown = (exc.detail or {}).get("unknown_params") if exc.http_status == 422 else None
        if not unknown:
            raise
    # The schema was missing or stale: the API named what it refuses. Drop it and send once more.
    plan.input = {k: v for k, v in plan.input.items() if k not in unknown}
    record = Switch("params", f"{plan.model} refused {', '.join(unknown)}: dropped", plan.model, status=422)
    fallbacks.append({**record.record(client.name), "dropped": unknown})
    return await _predictions(client, plan)


async def _predictions(client, plan: _Plan) -> list[dict]:
    if plan.repeat == 1:
        return [await client.predict(plan.model, plan.input)]
    inputs = []
    for i in range(plan.repeat):  # N calls for a model without a count; distinct seeds, distinct images
        inp = dict(plan.input)
        if isinstance(inp.get("seed"), int) and not isinstance(inp["seed"], bool):
            inp["seed"] += i
        inputs.append(inp)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(client.predict(plan.model, inp)) for inp in inputs]
    except ExceptionGroup as eg:
        raise next((e for e in eg.exceptions if isinstance(e, ProviderError)), eg.exceptions[0]) from None
    return [t.result() for t in tasks]


async def _finish(
    client, plan: _Plan, predictions: list[dict], fallbacks: list[dict], store: Store | None, task: str
) -> ReplicateResult:
    _, out_schema = await client.schemas_or_none(plan.model)
    outputs = [normalise(p.get("output")) for p in predictions]
    if len(outputs) == 1:
        output = outputs[0]
    else:
        output = [x for o in outputs for x in (o if isinstance(o, list) else [o])]
    text = text_of(output, out_schema)  # before file URLs become stored (relative) ones
    urls = file_urls(output) if _may_hold_files(out_schema) else []
    media: list[Media] = []
    mapping: dict[str, str] = {}
    if store is not None and urls:  # each file streamed to storage as it downloads
        mapping = dict(zip(urls, await gather(*(store(u) for u in urls))))  # one fails: the rest stop
        output = _replace(output, mapping)
    elif urls:
        media = list(await asyncio.gather(*(client.download(u) for u in urls)))
    files = [mapping.get(u, u) for u in urls]
    seconds = sum(float((p.get("metrics") or {}).get("predict_time") or 0) for p in predictions)
    price = client.rules.price(plan.model)
    usage = Usage(
        client.name,
        plan.model,
        task=task,
        images=len(files) or None,
        seconds=seconds or None,
        cost=round(price * max(len(files), 1), 6) if price is not None else None,
        fallbacks=fallbacks,
    )
    return ReplicateResult(plan.model, output, files, text, usage, media, [p.get("id") for p in predictions])


# -- outputs -------------------------------------------------------------------------------------


def _is_file(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://", "data:"))


def normalise(output: Any) -> Any:
    """One file URL becomes a list of one; everything else (lists, objects, text) stays as it is."""
    return [output] if _is_file(output) else output


def file_urls(value: Any) -> list[str]:
    """Every file URL in an output (lists and objects walked), in order, once each."""
    found: dict[str, None] = {}

    def walk(v: Any) -> None:
        if _is_file(v):
            found.setdefault(v)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk(value)
    return list(found)


def _replace(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_replace(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, mapping) for k, v in value.items()}
    return value


def _may_hold_files(schema: dict | None) -> bool:
    """A known output schema without any ``uri`` format holds text, even text that starts with http."""
    return schema is None or b'"uri"' in orjson.dumps(schema)


def text_of(output: Any, schema: dict | None) -> str | None:
    """The text of a text output: a string, or a list of strings joined (iterator chunks: no separator)."""
    files_ok = _may_hold_files(schema)
    if isinstance(output, str) and not (files_ok and _is_file(output)):
        return output
    if (
        isinstance(output, list)
        and output
        and all(isinstance(x, str) and not (files_ok and _is_file(x)) for x in output)
    ):
        concat = (
            schema is None
            or schema.get("x-cog-array-type") == "iterator"
            or schema.get("x-cog-array-display") == "concatenate"
        )
        return ("" if concat else "\n").join(output)
    return None
