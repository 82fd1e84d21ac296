"""``hwb publish``: upload checked distributions to PyPI, a private index, or an S3 index.

Public API::

    publish(dists, PublishOptions(repository="pypi", ...), *, environ, reporter)
        -> PublishReport

Every file passes ``hwb check`` (and twine's metadata check) before anything is sent; the
credential is found in the order documented in :mod:`hwb_action.publish.credentials`.
A published file is never replaced: what the index holds is read first, and a file whose
presence cannot be checked is not uploaded unless ``UploadOptions(index_check=False)``
(:mod:`hwb_action.publish.upload`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwb_action.artifacts import Artifact, check_files, expand_dist_args, find_dists
from hwb_action.ci import Reporter
from hwb_action.errors import CheckError, UsageError
from hwb_action.options import PublishOptions
from hwb_action.publish.credentials import (
    Credentials,
    GivenCredentials,
    TrustedMode,
    mask_given,
    mask_target,
    resolve_credentials,
)
from hwb_action.publish.oidc import TrustedPublisher
from hwb_action.publish.pypirc import (
    RepositoryConfig,
    choose_repository,
    default_path,
    read_pypirc,
)
from hwb_action.publish.results import FileResult, UploadOptions
from hwb_action.publish.target import LegacyTarget, S3Target, Target, resolve_target

__all__ = ["FileResult", "GivenCredentials", "PublishOptions", "PublishReport", "UploadOptions",
           "collect_dists", "publish"]


@dataclass(frozen=True, kw_only=True)
class PublishReport:
    """The outcome of one publish: where to, and one result per file."""

    repository: str
    results: tuple[FileResult, ...]
    check_only: bool = False
    credential_source: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"repository": self.repository,
                                "results": [r.to_json() for r in self.results]}
        if self.check_only:
            data["check"] = True
        return data


def _project_version(path: Path) -> tuple[str, str] | None:
    """(normalized name, version) from a distribution's file name; None when it cannot be
    read (``hwb check`` explains such a name)."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(name), str(version)


def one_release(found: Sequence[Path], directory: Path) -> None:
    """Raise :class:`UsageError` when ``found`` (what ``dist/`` holds) is not the files of one
    project and version: old builds left behind must not be published by accident."""
    releases: dict[tuple[str, str], list[str]] = {}
    for path in found:
        key = _project_version(path)
        if key is not None:
            releases.setdefault(key, []).append(path.name)
    if len(releases) <= 1:
        return
    details = [f"{name} {version}: {', '.join(sorted(files))}"
               for (name, version), files in sorted(releases.items())]
    listed = ", ".join(f"{name} {version}" for name, version in sorted(releases))
    msg = (f"{directory} holds {len(releases)} releases ({listed}); `hwb publish` without "
           "DIST publishes the files of one project and version")
    raise UsageError(msg, details=details,
                     hint=f"clean {directory} (remove old builds) and build again, or name "
                          "the files to publish: hwb publish dist/NAME-VERSION*")


def collect_dists(dists: Sequence[str], cwd: Path) -> list[Path]:
    """The files to publish: the arguments (any number of projects and versions), or
    ``dist/*.whl`` and ``dist/*.tar.gz`` when these are the files of one project and
    version (:func:`one_release`)."""
    if dists:
        # Directories and globs are expanded here: an action input meets no shell.
        expanded = [p for p in expand_dist_args(dists, cwd)
                    if not p.exists() or p.name.endswith((".whl", ".tar.gz"))]
        if not expanded:
            msg = f"no distributions in {', '.join(dists)}"
            raise UsageError(msg, hint="build first (hwb build), or name the files")
        return expanded
    found = [p for p in find_dists(cwd / "dist") if p.name.endswith((".whl", ".tar.gz"))]
    if not found:
        msg = f"no distributions in {cwd / 'dist'}"
        raise UsageError(msg, hint="build first (hwb build), or name the files: "
                                   "hwb publish dist/*")
    one_release(found, cwd / "dist")
    return found


def check_dists(paths: Sequence[Path], reporter: Reporter) -> list[Artifact]:
    """``hwb check`` on every file; sdists first."""
    report = check_files(paths)
    if not report.ok:
        details = [line for problems in report.problems.values() for line in problems]
        msg = f"{len(report.problems)} file(s) failed `hwb check`; nothing was published"
        raise CheckError(msg, details=details, hint="fix the problems and rebuild")
    for name, warnings in report.warnings.items():
        for warning in warnings:
            reporter.warning(warning.removeprefix(f"{name}: "), file=name)
    return sorted(report.artifacts, key=lambda a: a.kind != "sdist")


def given_by_options(options: PublishOptions) -> GivenCredentials:
    """The credentials the options give.  A token or password that came from ``HWB_TOKEN``
    or ``HWB_PASSWORD`` is left to the environment step of the credential order, which
    names its source as such (see :mod:`hwb_action.publish.credentials`)."""
    def given(name: str, value: str) -> str:
        return "" if options.settings.origin(name).kind == "env" else value

    return GivenCredentials(token=given("token", options.token), username=options.username,
                            password=given("password", options.password))


def upload_options(options: PublishOptions, *, backoff: float = 0.5) -> UploadOptions:
    """How files travel, from the publish options (``jobs`` 0 means 4 at a time)."""
    return UploadOptions(jobs=options.jobs or 4, retries=options.retries, backoff=backoff,
                         timeout=options.timeout, skip_existing=options.skip_existing,
                         check_only=options.check_only, index_check=options.index_check)


def publish(
    dists: Sequence[Path],
    options: PublishOptions | None = None,
    *,
    environ: Mapping[str, str],
    reporter: Reporter,
    backoff: float = 0.5,
) -> PublishReport:
    """Check ``dists`` and publish them as ``options`` say (default: to PyPI); never raises
    for a failed file (see :attr:`PublishReport.ok`), raises :class:`HwbError` for setup
    problems.  ``backoff`` is the wait before the first retry, in seconds."""
    options = options or PublishOptions()
    given = given_by_options(options)
    upload = upload_options(options, backoff=backoff)
    mask_given(given, environ, reporter)
    sections = read_pypirc(default_path(environ))
    repository, chosen_by = choose_repository(
        options.repository, default=options.settings.origin("repository").kind == "default",
        environ=environ, sections=sections)
    target: Target = resolve_target(repository, endpoint_url=options.endpoint_url,
                                    index_url=options.index_url)
    mask_target(target, reporter)
    if chosen_by != "--repository":
        reporter.info(f"repository: {target.display_url} (from {chosen_by})")
    with reporter.group("check distributions"):
        artifacts = check_dists(dists, reporter)
    if isinstance(target, S3Target):
        from hwb_action.publish.s3index import S3Publisher

        if not given.password and target.url_password:
            # Credentials in --endpoint-url come after the options, before the environment.
            given = GivenCredentials(token=given.token, password=target.url_password,
                                     username=given.username or target.url_username or "")
        elif not given.password and environ.get("HWB_PASSWORD"):
            # The action passes its username/password inputs only as HWB_* variables: for
            # S3 they are the access key id and secret access key, as the options are.
            given = GivenCredentials(token=given.token, password=environ["HWB_PASSWORD"],
                                     username=given.username or environ.get("HWB_USERNAME", ""))
        if options.attestations and options.settings.origin("attestations").kind != "default":
            reporter.warning("--attestations: an S3 static index has no place for PEP 740 "
                             "attestations; publishing without them")
        s3 = S3Publisher(target, reporter=reporter, options=upload, given=given,
                         environ=environ, acl=options.s3_acl)
        with reporter.group(f"publish to {target.display_url}"):
            results = s3.publish(artifacts)
        return PublishReport(repository=target.display_url, results=tuple(results),
                             check_only=upload.check_only)
    # Set anywhere (flag, variable, pyproject.toml) it is a choice; left alone it is "on under
    # trusted publishing".  False is never the default, so PublishOptions(attestations=False)
    # made in Python is a choice too.
    explicit = (not options.attestations
                or options.settings.origin("attestations").kind != "default")
    return _publish_legacy(target, artifacts, environ=environ, reporter=reporter, given=given,
                           options=upload, trusted_publishing=options.trusted_publishing,
                           attestations=(options.attestations, explicit),
                           trust_config=options.sigstore_trust_config, pypirc=sections)


def _publish_legacy(
    target: LegacyTarget,
    artifacts: Sequence[Artifact],
    *,
    environ: Mapping[str, str],
    reporter: Reporter,
    given: GivenCredentials,
    options: UploadOptions,
    trusted_publishing: TrustedMode,
    attestations: tuple[bool, bool] = (True, False),
    trust_config: str = "",
    pypirc: Mapping[str, RepositoryConfig] | None = None,
) -> PublishReport:
    from hwb_action.publish import attest
    from hwb_action.publish.upload import LegacyUploader, prepare_packages

    packages = prepare_packages(artifacts)  # twine's metadata check, before any credential
    setting, explicit = attestations
    premade = attest.premade(artifacts) if setting else {}
    publisher = TrustedPublisher(target.oidc_base, environ=environ, reporter=reporter,
                                 timeout=min(options.timeout, 60))
    try:
        with reporter.group("credentials"):
            credentials: Credentials = resolve_credentials(
                target, given, environ=environ, reporter=reporter, mode=trusted_publishing,
                publisher=publisher, pypirc=pypirc)
            reporter.info(f"credential: {credentials.source} (user {credentials.username})")
        plan = attest.plan(setting=setting, explicit=explicit,
                           trusted_publishing=credentials.minted is not None)
        if plan.upload:
            # Every file is attested before the first upload: never half-attested.
            with reporter.group("attestations"):
                made = attest.make(artifacts, premade, plan, id_token=publisher.id_token,
                                   trust_config=trust_config, check_only=options.check_only,
                                   reporter=reporter)
            attest.attach(packages, made)
        uploader = LegacyUploader(target, credentials, reporter=reporter, options=options)
        with reporter.group(f"publish to {target.display_url}"):
            results = uploader.publish(artifacts, packages)
    finally:
        publisher.burn()
    return PublishReport(repository=target.display_url, results=tuple(results),
                         check_only=options.check_only, credential_source=credentials.source)
