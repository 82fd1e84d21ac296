"""``hwb cache [info|clean|prune]``: the build-environment cache (what it holds, its size;
remove it all, or down to ``cache-max-size``)."""

from __future__ import annotations

import time
from pathlib import Path

from hwb_action._command import CommandResult, Invocation
from hwb_action.builder.envcache import MIB, CachedEnv, clean, entries, prune
from hwb_action.builder.isolation import default_cache_dir
from hwb_action.options import CacheOptions, from_settings
from hwb_action.settings import resolve


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def _line(env: CachedEnv) -> str:
    age = time.time() - env.last_used
    when = f"{age / 86400:.0f} d" if age >= 86400 else f"{age / 3600:.0f} h"
    requires = ", ".join(env.requires) or "nothing"
    state = "" if env.complete else " (incomplete)"
    return f"{env.path.name}  {_mib(env.size):>10}  used {when} ago  {requires}{state}"


def run(inv: Invocation) -> CommandResult:
    """Show, clean or prune the cache of build environments."""
    settings = resolve("cache", cli=inv.cli, environ=inv.environ, project_dir=inv.cwd)
    options = from_settings(CacheOptions, settings)
    cache_dir = Path(options.cache_dir) if options.cache_dir else default_cache_dir(inv.environ)
    if not cache_dir.is_absolute():
        cache_dir = inv.cwd / cache_dir
    data: dict[str, object] = {"cache-dir": str(cache_dir), "action": options.cache_action}
    lines: list[str] = []
    if options.cache_action == "clean":
        removed, busy = clean(cache_dir)
        data["removed"] = [e.to_json() for e in removed]
        data["busy"] = [e.to_json() for e in busy]
        inv.reporter.info(f"Removed {len(removed)} build environments "
                          f"({_mib(sum(e.size for e in removed))}) from {cache_dir}")
        for env in busy:
            inv.reporter.warning(f"{env.path} is in use by a running build; left in place")
    elif options.cache_action == "prune":
        removed = prune(cache_dir, options.cache_max_size * MIB, grace_seconds=0)
        data["removed"] = [e.to_json() for e in removed]
        inv.reporter.info(f"Removed {len(removed)} build environments "
                          f"({_mib(sum(e.size for e in removed))}); the limit is "
                          f"{options.cache_max_size} MiB")
    found = entries(cache_dir)
    total = sum(e.size for e in found)
    data["environments"] = [e.to_json() for e in found]
    data["size"] = total
    data["max-size"] = options.cache_max_size * MIB
    if options.cache_action == "info":
        lines.append(f"{cache_dir}: {len(found)} build environments, {_mib(total)} "
                     f"(limit {options.cache_max_size} MiB)")
        lines += [_line(e) for e in reversed(found)]
    return CommandResult(data=data, text="\n".join(lines))
