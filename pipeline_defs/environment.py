"""The one module that reads the process environment, and loads the `.env` files the command line reads into it.

Everything else asks here: the settings (pipeline_defs/settings.py), the alert sensor's list of secrets, the
progress display's mode, the Dagster home of the command line's runs.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DOTENV = ".env"
DAGSTER_HOME = "DAGSTER_HOME"

# Polars allocates through its own jemalloc, which keeps freed pages for seconds before it gives them back: a stage
# that frees a chunk's frames every ~0.3 s carries several chunks of them. Measured on the categorize stage of a
# 100,000-row day: 394 MiB resident at its end (peak 401) with the default, 344 (peak 369) with no delay. The value is
# read once, when polars loads, so it is set before anything imports polars; a value the user set is kept.
POLARS_ALLOCATOR = "_RJEM_MALLOC_CONF"
POLARS_ALLOCATOR_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"

_from_dotenv: dict[str, Path] = {}  # variable -> the .env file it was loaded from (this process)


def return_freed_memory_at_once() -> None:
    """Make polars' allocator hand freed pages back at once (see POLARS_ALLOCATOR); call before polars loads."""
    os.environ.setdefault(POLARS_ALLOCATOR, POLARS_ALLOCATOR_CONF)


def variables() -> dict[str, str]:
    """A copy of the environment as it is now."""
    return dict(os.environ)


def variable(name: str) -> str:
    """One variable's value; "" when it is unset."""
    return os.environ.get(name, "")


def load_dotenv(folders: Iterable[Path]) -> list[Path]:
    """Load the `.env` file of each folder (the first folder wins), never over a variable that is already set.

    Returns the files read. `dg dev` (like `dagster dev`) reads `.env` of the folder it is started in too, but there
    the file's values win over the shell's; here the shell's win.
    """
    read: list[Path] = []
    for folder in dict.fromkeys(Path(f).resolve() for f in folders):
        path = folder / DOTENV
        if not path.is_file():
            continue
        read.append(path)
        for name, value in dotenv_values(path).items():
            if value is not None and name not in os.environ:
                os.environ[name] = value
                _from_dotenv[name] = path
    return read


def dotenv_file_of(name: str) -> Path | None:
    """The `.env` file a variable came from; None when it came from the process's own environment or is unset."""
    path = _from_dotenv.get(name)
    return path if path is not None and name in os.environ else None


def dagster_home() -> Path | None:
    """DAGSTER_HOME when it is set."""
    value = variable(DAGSTER_HOME).strip()
    return Path(value).expanduser() if value else None
