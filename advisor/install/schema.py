"""Pydantic models of knowledge/install.yaml: used to validate it (then the validated data is
kept as a snapshot, advisor/install.py), so a run that finds a snapshot never builds them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from fwadvise.advisor.kb.schema import Framework, Strict

Platform = Literal["cpu", "cuda", "rocm", "apple", "tpu"]
OS = Literal["linux", "windows", "macos"]


class InstallCommand(Strict):
    framework: Framework
    platform: Platform
    os: list[OS] = Field(min_length=1)
    command: str | None = Field(description="null: not supported; the note says what instead")
    note: str = Field(min_length=10)
    source: str = Field(pattern=r"^https://")
    checked: dt.date
    cuda: str | None = Field(None, pattern=r"^\d+(\.\d+)?$", description="CUDA of the wheels")
    default: bool = Field(False, description="the CUDA build to advise when the driver is unknown")
    experimental: bool = Field(False, description="never chosen automatically")


class CudaFamily(Strict):
    cuda: int = Field(ge=1)
    min_driver: int = Field(ge=1, description="the oldest driver (major version) that runs it")


class InstallTable(Strict):
    tested_with: dict[Framework, str]
    cuda_families: list[CudaFamily] = Field(min_length=1)
    cuda_families_source: str = Field(pattern=r"^https://")
    commands: list[InstallCommand] = Field(min_length=1)
