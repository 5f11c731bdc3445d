"""Pydantic models of knowledge/install.yaml: used to validate it (then the validated data is
kept as a snapshot, advisor/install.py), so a run that finds a snapshot never builds them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from fwadvise.advisor.install.versions import version_key
from fwadvise.advisor.kb.schema import Framework, Strict

Platform = Literal["cpu", "cuda", "rocm", "apple", "tpu"]
OS = Literal["linux", "windows", "macos"]
URL = r"^https://"
MINOR = r"^\d+\.\d+$"  # a release line: "3.10", "2.14", a compute capability "7.5"


class InstallCommand(Strict):
    framework: Framework
    platform: Platform
    os: list[OS] = Field(min_length=1)
    command: str | None = Field(description="null: not supported; the note says what instead")
    note: str = Field(min_length=10)
    source: str = Field(pattern=URL)
    checked: dt.date
    cuda: str | None = Field(None, pattern=r"^\d+(\.\d+)?$", description="CUDA of the wheels")
    default: bool = Field(False, description="the CUDA build to advise when the driver is unknown")
    experimental: bool = Field(False, description="never chosen automatically")


class CudaFamily(Strict):
    cuda: int = Field(ge=1)
    min_driver: int = Field(ge=1, description="the oldest driver (major version) that runs it")


class PythonRange(Strict):
    """The Python versions a framework release publishes wheels for."""

    framework: Framework
    version: str = Field(pattern=MINOR, description="the framework's release line, e.g. 2.14")
    status: Literal["stable", "planned"] = Field(
        description="stable: released, what the commands install; planned: announced, not "
        "confirmed released when checked"
    )
    date: dt.date = Field(description="released on (stable) or planned for (planned)")
    python_min: str = Field(pattern=MINOR, description="the oldest Python with wheels")
    python_max: str | None = Field(
        None, pattern=MINOR, description="the newest Python with wheels; null: not yet published"
    )
    source: str = Field(pattern=URL)
    checked: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> PythonRange:
        if self.python_max and version_key(self.python_min) > version_key(self.python_max):
            raise ValueError(f"python_min {self.python_min} is above python_max {self.python_max}")
        return self


class PythonEndOfLife(Strict):
    """A Python version past its end of life: no security fixes, and frameworks drop it."""

    python: str = Field(pattern=MINOR)
    date: dt.date = Field(description="the end-of-life day")
    source: str = Field(pattern=URL)
    checked: dt.date


class GpuLimit(Strict):
    """The NVIDIA GPUs one CUDA build of a framework runs on."""

    framework: Framework
    cuda: str = Field(pattern=r"^\d+(\.\d+)?$", description="the `cuda` of a command entry")
    min_compute: str = Field(pattern=MINOR, description="oldest compute capability (7.5 Turing)")
    generations: str = Field(min_length=3, description="the GPU generations it covers, in words")
    last_version: str | None = Field(
        None, pattern=MINOR, description="the last release published for this build, if it ended"
    )
    sources: list[str] = Field(min_length=1, description="https addresses saying so")
    date: dt.date = Field(description="when the limit became knowable from the sources")
    checked: dt.date

    @model_validator(mode="after")
    def _urls(self) -> GpuLimit:
        bad = [s for s in self.sources if not s.startswith("https://")]
        if bad:
            raise ValueError(f"sources must be https addresses, got {bad[0]!r}")
        return self


class InstallTable(Strict):
    tested_with: dict[Framework, str] = Field(
        description="the release line whose install instructions the commands follow"
    )
    cuda_families: list[CudaFamily] = Field(min_length=1)
    cuda_families_source: str = Field(pattern=URL)
    python_ranges: list[PythonRange] = Field(min_length=1)
    python_end_of_life: list[PythonEndOfLife] = Field(default_factory=list)
    gpu_limits: list[GpuLimit] = Field(default_factory=list)
    commands: list[InstallCommand] = Field(min_length=1)
