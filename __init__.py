"""fwadvise: advice on PyTorch vs TensorFlow for a project, with its reasons, sources and
measurements.

As a library (advisor/api.py):

    import fwadvise

    advice = fwadvise.advise({"role": "researcher", "use_cases": ["nlp"]})
    print(advice.verdict, advice.confidence)
    print(fwadvise.to_markdown(advice))

`advise`, `advise_project`, `gather_evidence`, `scan_repository`, `Advice`, the renderers
`to_dict`, `to_json`, `to_markdown`, `to_html`, `to_text`, and `UserError` (raised for bad
input) load on first use, so that `import fwadvise` stays cheap for the command line.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "Advice",
    "UserError",
    "__version__",
    "advise",
    "advise_project",
    "gather_evidence",
    "report_data",
    "scan_repository",
    "to_dict",
    "to_html",
    "to_json",
    "to_markdown",
    "to_text",
]

if TYPE_CHECKING:
    from fwadvise.advisor.api import (
        Advice,
        advise,
        advise_project,
        gather_evidence,
        report_data,
        scan_repository,
        to_dict,
        to_html,
        to_json,
        to_markdown,
        to_text,
    )
    from fwadvise.advisor.errors import UserError


def __getattr__(name: str) -> Any:
    if name == "UserError":
        from fwadvise.advisor.errors import UserError

        return UserError
    if name in __all__:
        from fwadvise.advisor import api

        return getattr(api, name)
    raise AttributeError(f"module 'fwadvise' has no attribute {name!r}")
