# inc-audit in a small image that runs as an unprivileged user. The release pipeline builds
# it with rootless BuildKit; `docker build -t inc-audit .` works the same way by hand.
# The base image by digest (GitLab's pipeline security advice: a tag can be moved); bump
# both FROM lines together: docker buildx imagetools inspect python:3.12-slim
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea AS build
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE ./
COPY inc_audit ./inc_audit
COPY schemas ./schemas
RUN pip wheel --no-cache-dir --wheel-dir /wheels .
# The same smoke test as .ci/run: the wheel installed into a fresh venv and run outside the
# source (--version, rules, the example audit with the checkout's bytes, the template gate,
# init); the checkout it is compared with is the source installed editable in /reference.
COPY .ci ./.ci
COPY examples ./examples
RUN python -m venv /reference \
    && /reference/bin/pip install --no-cache-dir -q --find-links /wheels -e . \
    && PIP_FIND_LINKS=/wheels python .ci/smoke.py --wheel /wheels/inc_audit-*.whl --reference /reference/bin/python

FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea
RUN useradd --uid 10001 --user-group --create-home inc-audit
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /home/inc-audit
# No ENTRYPOINT: GitLab CI runs its job script through the image's shell.
CMD ["inc-audit", "--help"]
