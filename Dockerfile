# inc-audit in a small image that runs as an unprivileged user. The release pipeline builds
# it with rootless BuildKit; `docker build -t inc-audit .` works the same way by hand.
FROM python:3.12-slim AS build
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

FROM python:3.12-slim
RUN useradd --uid 10001 --user-group --create-home inc-audit
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /home/inc-audit
# No ENTRYPOINT: GitLab CI runs its job script through the image's shell.
CMD ["inc-audit", "--help"]
