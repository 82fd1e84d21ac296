"""``apply_release``: write every version file and the changelog, commit, tag and push.

All or nothing up to the tag: every new file is computed before the first write, and when the
commit or the tag fails (no git identity, a hook that refuses) the files, the index and HEAD
are put back exactly as they were.  A push that fails leaves the local release in place (it
is complete) and says how to push it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hwb_action.ci import Reporter
from hwb_action.errors import HwbError, UsageError, VersioningError
from hwb_action.git import Git
from hwb_action.versioning.changelog import forge_from_remote
from hwb_action.versioning.files import render_any, same_version
from hwb_action.versioning.model import ReleaseActions, ReleasePlan, ReleaseResult
from hwb_action.versioning.rst import changelog_text

_IDENTITY = ("set a git identity for the release commit and tag: git config user.name NAME "
             "and git config user.email EMAIL (in GitHub Actions e.g. "
             "'github-actions[bot]' and "
             "'41898282+github-actions[bot]@users.noreply.github.com'), or GIT_AUTHOR_NAME/"
             "GIT_AUTHOR_EMAIL and GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL")


def version_mismatches(plan: ReleasePlan) -> list[str]:
    """Files of the release that do not say the current version (one line per file)."""
    expected = plan.location.current or plan.previous_version
    locations = plan.locations
    if expected is None and locations:
        expected = locations[0].current
    if expected is None:
        return []
    return [f"{loc.path}: {loc.variable or 'version'} is {loc.current!r}, not {expected}"
            for loc in locations
            if not (same_version(loc.current, expected)
                    # a re-run after a files-only release: already the new version
                    or same_version(loc.current, plan.version))]


def _new_files(plan: ReleasePlan, git: Git,
               reporter: Reporter | None) -> list[tuple[Path, bytes]]:
    assert plan.version is not None
    assert plan.tag is not None
    writes: list[tuple[Path, bytes]] = []
    for location in plan.locations:
        edited = render_any(location, plan.version)
        if edited is not None and location.path is not None \
                and edited != location.path.read_bytes():
            writes.append((location.path, edited))
    if plan.changelog is not None:
        try:
            existing: str | None = plan.changelog.read_bytes().decode("utf-8")
        except FileNotFoundError:
            existing = None
        except UnicodeDecodeError as err:
            msg = f"not valid UTF-8 ({err.reason})"
            raise VersioningError(msg, file=str(plan.changelog)) from err
        text = changelog_text(plan.changelog, existing, version=plan.version, tag=plan.tag,
                              date=plan.date, notes=plan.release_notes,
                              previous_tag=plan.compare_from,
                              forge=forge_from_remote(git.remote_url(plan.remote)),
                              scheme=plan.scheme)
        if text == existing:
            if reporter is not None:
                reporter.info(f"{plan.changelog} already has a section for {plan.version}; "
                              "left as it is")
        else:
            writes.append((plan.changelog, text.encode("utf-8")))
    return writes


def _failure_hint(err: HwbError) -> str:
    said = "\n".join([err.message, *err.details]).lower()
    if "hook" in said:
        return ("a git hook refused the release commit or tag: fix what it reports above, "
                "then run hwb release again")
    if any(s in said for s in ("identity", "tell me who you are", "user.email", "user.name",
                               "auto-detect")):
        return _IDENTITY
    return "fix what git reports above, then run hwb release again"


def _check_clean(git: Git) -> None:
    dirty = git.dirty()
    if dirty:
        msg = f"the work tree has uncommitted changes ({len(dirty)} file(s))"
        raise UsageError(msg, details=dirty[:20],
                         hint="commit or stash them first, or pass --allow-dirty")


def _check_versions(plan: ReleasePlan) -> None:
    mismatches = version_mismatches(plan)
    if mismatches:
        expected = plan.location.current or plan.previous_version
        msg = (f"{len(mismatches)} version file(s) do not hold the current version"
               f"{' ' + expected if expected else ''}; nothing was written")
        raise VersioningError(msg, details=mismatches,
                              hint="make every file of version-files say the current version "
                                   "(and commit that), or fix version-files")


def _check_identity(git: Git) -> None:
    problem = git.identity_problem()
    if problem is not None:
        msg = f"git has no identity to commit and tag with ({problem}); nothing was written"
        raise VersioningError(msg, hint=_IDENTITY)


def apply_release(
    plan: ReleasePlan,
    actions: ReleaseActions,
    *,
    environ: Mapping[str, str],
    reporter: Reporter | None = None,
) -> ReleaseResult:
    """Write the version and the changelog, commit, tag and push, as ``actions`` say."""
    if plan.version is None or plan.tag is None:
        return ReleaseResult(plan=plan)
    git = Git(plan.project_dir, environ=environ, reporter=reporter)
    if not actions.allow_dirty:
        _check_clean(git)
    _check_versions(plan)
    # Every new file is computed before the first write: nothing is written unless all can be.
    writes = _new_files(plan, git, reporter)
    files = tuple(path for path, _ in writes)
    if (actions.commit and files) or actions.tag:
        _check_identity(git)
    if not files and not actions.tag:
        if reporter is not None:
            reporter.info(f"{plan.version}: every file already says it and there is nothing "
                          "to commit or tag: nothing to do")
        return ReleaseResult(plan=plan)
    committed, tagged = _write_commit_tag(git, writes, version=plan.version, tag=plan.tag,
                                          actions=actions, reporter=reporter)
    refs = (["HEAD"] if committed else []) + ([f"refs/tags/{plan.tag}"] if tagged else [])
    pushed = actions.push and bool(refs) and _push(git, plan, refs)
    return ReleaseResult(plan=plan, files=files, committed=committed, tagged=tagged,
                         pushed=pushed)


def _write_commit_tag(git: Git, writes: list[tuple[Path, bytes]], *, version: str, tag: str,
                      actions: ReleaseActions,
                      reporter: Reporter | None) -> tuple[bool, bool]:
    """Write the files, commit and tag; (committed, tagged).  When a step fails, everything
    is put back as it was and the error says which step it was."""
    files = tuple(path for path, _ in writes)
    will_commit = actions.commit and bool(files)
    head = git.head_sha()
    index = git.write_tree()
    before = {path: (path.read_bytes() if path.exists() else None) for path, _ in writes}
    committed = tagged = False
    try:
        for path, data in writes:
            path.write_bytes(data)
            if reporter is not None:
                reporter.info(f"wrote {path}")
        if will_commit:
            git.add(files)
            git.commit(actions.commit_message.replace("{version}", version)
                       .replace("{tag}", tag), files)
            committed = True
        elif files and actions.tag and reporter is not None:
            reporter.warning(f"--no-commit: the tag {tag} points at HEAD, which does "
                             "not hold the changes just written")
        if actions.tag:
            git.tag(tag, f"Release {version}")
            tagged = True
    except HwbError as err:
        _put_back(git, err, head=head, index=index, before=before,
                  tag=tag if tagged else None, committed=committed)
        step = "tag" if committed or not will_commit else "commit"
        msg = (f"the release {step} failed ({err.message}); the files, the index and HEAD "
               "are as they were before")
        raise VersioningError(msg, details=err.details, hint=_failure_hint(err)) from err
    return committed, tagged


def _put_back(git: Git, err: HwbError, *, head: str, index: str,
              before: Mapping[Path, bytes | None], tag: str | None, committed: bool) -> None:
    """Undo after ``err``; when that fails too, say where things were."""
    try:
        _undo(git, head=head, index=index, before=before, tag=tag, committed=committed)
    except (HwbError, OSError) as undo_err:
        msg = (f"the release failed ({err.message}) and so did putting things back "
               f"({undo_err})")
        raise VersioningError(msg, details=err.details,
                              hint=f"check git status; HEAD was {head}, the index tree "
                                   f"{index} (git read-tree {index})") from undo_err


def _push(git: Git, plan: ReleasePlan, refs: list[str]) -> bool:
    try:
        git.push(plan.remote, refs)
    except HwbError as err:
        err.message += (f" (the release {plan.version} is committed and tagged "
                        f"locally; push it with: git push --atomic {plan.remote} "
                        f"{' '.join(refs)})")
        raise
    return True


def _undo(git: Git, *, head: str, index: str, before: Mapping[Path, bytes | None],
          tag: str | None, committed: bool) -> None:
    """Put the tag, HEAD, the index and the files back as they were."""
    if tag is not None:
        git.delete_tag(tag)
    if committed:
        git.move_head(head, git.head_sha())
    for path, data in before.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)
    git.read_tree(index)
