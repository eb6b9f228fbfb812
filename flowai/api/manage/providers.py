"""Providers of the router: credentials, priorities, quotas, time zone, connection tests, and
per-workflow daily budgets.

Reading the list is open to every signed-in user (``masked_key`` only for admins); changing
an instance-wide setting needs an admin (403 ``40301`` otherwise). A workflow's budget is
read and set by its owner (or an admin). Keys are never answered in clear.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue, create_model, field_validator

from flowai.access.users import Account as User  # the signed-in account
from flowai.errors import ForbiddenError, InputError
from flowai.providers.base import TASKS
from flowai.providers.catalog import serving
from flowai.providers.config import ConfigError

from .common import current_user, ok, platform_of
from .resources import body_doc, json_body, not_found_as_40402, owned

router = APIRouter(tags=["providers"], dependencies=[Depends(not_found_as_40402)])

Name = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")]
ZONES: list[JsonValue] = [*sorted(available_timezones())]


class CredentialsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    api_key: str | None = Field(
        None, max_length=4000, description="The key; omitted, null or empty keeps the stored one (DELETE forgets it)"
    )
    base_url: str | None = Field(None, max_length=2000, description='omitted or null keeps it, "" removes it')
    options: dict[str, str] | None = Field(None, description="Extra credentials, e.g. Play.ht's user_id")
    allow_private_base_url: bool = Field(
        False, description="Allow a base_url on a private address (a self-hosted server) for this provider"
    )


class PrioritiesBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    providers: list[str] = Field(max_length=50, description="These first, in this order; the others follow")


class QuotaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Literal["day", "month"] | None = None
    limit: float | None = Field(None, ge=0, description="null removes the quota")
    unit: Literal["calls", "tokens", "characters", "seconds", "images", "cost"] = "calls"


class TestOnlyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    test_only: bool = Field(description="true: the key is refused when FLOWAI_ENV=production")


class TimezoneBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    timezone: str = Field(description="IANA name, e.g. Asia/Shanghai", json_schema_extra={"enum": ZONES})

    @field_validator("timezone")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ZONES:
            raise ValueError(f"unknown time zone {value[:64]!r}; use an IANA name such as 'UTC' or 'Asia/Shanghai'")
        return value


class BudgetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_usd: float | None = Field(None, ge=0, le=1e9, description="null removes the budget")


class BudgetWarningBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.8, gt=0, le=1, description="Share of a workflow's daily budget that warns")
    webhook: str | None = Field(None, max_length=2000, description="http(s) URL the warning is POSTed to; null: none")


def admin_user(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise ForbiddenError("Only an admin can change provider settings.")
    return user


def _item(p: dict, admin: bool) -> dict:
    """Non-admins see which providers exist and are configured, not where or how."""
    return p if admin else {**p, "masked_key": None, "base_url": None}


def _one(request: Request, name: str, admin: bool = True) -> dict:
    for p in platform_of(request).provider_admin.providers():
        if p["name"] == name:
            return _item(p, admin)
    raise AssertionError(name)  # names are checked before


@router.get("/providers", summary="Providers with their status, quota and this period's usage")
def list_providers(request: Request, user: User = Depends(current_user)):
    admin = platform_of(request).provider_admin
    return ok(
        {
            "items": [_item(p, user.is_admin) for p in admin.providers()],
            "priorities": admin.priorities(),
            "timezone": admin.timezone(),
            "environment": admin.environment(),
        }
    )


@router.get("/providers/priorities", summary="Priority lists per task type")
def get_priorities(request: Request, user: User = Depends(current_user)):
    return ok(platform_of(request).provider_admin.priorities())


def _priorities_route(task: str) -> None:
    """One route per task, so each documents exactly the providers that can serve it."""
    body_model = create_model(
        f"Priorities_{task}",
        __base__=PrioritiesBody,
        providers=(
            list[Literal[tuple(serving(task))]],  # type: ignore[misc]
            Field(max_length=50, description="These first, in this order; the others follow"),
        ),
    )

    @router.put(
        f"/providers/priorities/{task}",
        summary=f"Reorder the {task} providers (admin)",
        openapi_extra=body_doc(body_model),
        operation_id=f"put_priorities_{task}",
    )
    def put_task_priorities(
        request: Request, user: User = Depends(admin_user), body: PrioritiesBody = Depends(json_body(body_model))
    ):
        return _set_priorities(request, task, body.providers)


for _task in TASKS:
    _priorities_route(_task)


@router.put("/providers/priorities/{task}", include_in_schema=False)
def put_priorities(
    request: Request,
    task: str,
    user: User = Depends(admin_user),
    body: PrioritiesBody = Depends(json_body(PrioritiesBody)),
):
    """Any other task: refused by the check (400)."""
    return _set_priorities(request, task, body.providers)


def _set_priorities(request: Request, task: str, providers: list[str]):
    admin = platform_of(request).provider_admin
    admin.set_priorities(task, providers)
    return ok({"task": task, "providers": admin.priorities()[task]})


@router.put(
    "/providers/timezone",
    summary="The time zone whose midnight resets quotas and budgets (admin)",
    openapi_extra=body_doc(TimezoneBody),
)
def put_timezone(
    request: Request, user: User = Depends(admin_user), body: TimezoneBody = Depends(json_body(TimezoneBody))
):
    admin = platform_of(request).provider_admin
    admin.set_timezone(body.timezone)
    return ok({"timezone": admin.timezone()})


@router.get(
    "/providers/usage",
    summary="Usage per provider and day (for charts), health per window (success rate, p50/p95, errors), alerts",
)
def get_usage(request: Request, days: int = Query(30, ge=1, le=366), user: User = Depends(current_user)):
    admin = platform_of(request).provider_admin
    return ok({"items": admin.usage_by_day(days), "health": admin.health(), "alerts": admin.active_alerts()})


@router.get(
    "/providers/budget-warning",
    summary="The budget warning threshold and the workflows whose spend today reached it",
)
def get_budget_warning(request: Request, user: User = Depends(current_user)):
    return ok(_budget_warning(request, user))


@router.put(
    "/providers/budget-warning",
    summary="Set the budget warning threshold and webhook (admin)",
    openapi_extra=body_doc(BudgetWarningBody),
)
def put_budget_warning(
    request: Request, user: User = Depends(admin_user), body: BudgetWarningBody = Depends(json_body(BudgetWarningBody))
):
    try:
        platform_of(request).provider_config.set_budget_warning(body.threshold, body.webhook)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    return ok(_budget_warning(request, user))


def _budget_warning(request: Request, user: User) -> dict:
    """Admins see every workflow's warning and the webhook; others their own workflows' warnings."""
    platform = platform_of(request)
    threshold, webhook = platform.provider_config.budget_warning()
    warnings = platform.budget_watch.warnings()
    if not user.is_admin:
        mine = platform.workflows.owner_of
        warnings = [w for w in warnings if mine(w["workflow_id"]) == user.id]
    return {"threshold": threshold, "webhook": (webhook or None) if user.is_admin else None, "warnings": warnings}


@router.get("/providers/report", summary="The weekly free-quota report: the last one sent and the figures now")
def get_report(request: Request, user: User = Depends(current_user)):
    return ok(platform_of(request).provider_admin.weekly_report())


@router.put(
    "/providers/{name}/credentials",
    summary="Store a provider's key, encrypted (admin)",
    openapi_extra=body_doc(CredentialsBody),
)
def put_credentials(
    request: Request,
    name: Name,
    user: User = Depends(admin_user),
    body: CredentialsBody = Depends(json_body(CredentialsBody)),
):
    platform_of(request).provider_admin.set_credential(
        name,
        api_key=body.api_key,
        base_url=body.base_url,
        options=body.options,
        allow_private_base_url=body.allow_private_base_url,
    )
    return ok(_one(request, name))


@router.delete("/providers/{name}/credentials", summary="Forget the key entered in the UI (admin)")
def delete_credentials(request: Request, name: Name, user: User = Depends(admin_user)):
    platform_of(request).provider_admin.clear_credential(name)
    return ok(_one(request, name))


@router.put(
    "/providers/{name}/quota", summary="Set or remove a provider's quota (admin)", openapi_extra=body_doc(QuotaBody)
)
def put_quota(
    request: Request, name: Name, user: User = Depends(admin_user), body: QuotaBody = Depends(json_body(QuotaBody))
):
    period = (body.period or "day") if body.limit is not None else None
    platform_of(request).provider_admin.set_quota(name, period=period, limit=body.limit, unit=body.unit)
    return ok(_one(request, name))


@router.put(
    "/providers/{name}/test-only",
    summary='Mark a provider\'s key "test only": refused in production (admin)',
    openapi_extra=body_doc(TestOnlyBody),
)
def put_test_only(
    request: Request,
    name: Name,
    user: User = Depends(admin_user),
    body: TestOnlyBody = Depends(json_body(TestOnlyBody)),
):
    platform_of(request).provider_admin.set_test_only(name, body.test_only)
    return ok(_one(request, name))


@router.post("/providers/{name}/test", summary="Test the connection with the current credentials (admin)")
async def test_provider(request: Request, name: Name, user: User = Depends(admin_user)):
    passed, message = await platform_of(request).provider_admin.test_connection(name)
    return ok({"name": name, "ok": passed, "message": message})


def _budget_owner(request: Request, workflow_id: str, user: User) -> None:
    owner = platform_of(request).workflows.owner_of(workflow_id)
    if user.is_admin and owner is not None:
        return
    owned(owner, user, "Workflow", workflow_id)


WorkflowId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/workflows/{workflow_id}/budget", summary="A workflow's daily provider budget and today's spend")
def get_budget(request: Request, workflow_id: WorkflowId, user: User = Depends(current_user)):
    _budget_owner(request, workflow_id, user)
    admin = platform_of(request).provider_admin
    return ok(
        {
            "workflow_id": workflow_id,
            "daily_usd": admin.budget(workflow_id),
            "spent_today": admin.spent_today(workflow_id),
            "timezone": admin.timezone(),
        }
    )


@router.put(
    "/workflows/{workflow_id}/budget",
    summary="Set or remove a workflow's daily budget (USD)",
    openapi_extra=body_doc(BudgetBody),
)
def put_budget(
    request: Request,
    workflow_id: WorkflowId,
    user: User = Depends(current_user),
    body: BudgetBody = Depends(json_body(BudgetBody)),
):
    _budget_owner(request, workflow_id, user)
    admin = platform_of(request).provider_admin
    admin.set_budget(workflow_id, body.daily_usd)
    return ok(
        {
            "workflow_id": workflow_id,
            "daily_usd": admin.budget(workflow_id),
            "spent_today": admin.spent_today(workflow_id),
            "timezone": admin.timezone(),
        }
    )
