"""Runs (background workflow instances): start, list, inspect, pause, resume, cancel, progress."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["runs"])
