# inc-audit in a small image that runs as an unprivileged user. The release pipeline builds
# it with rootless BuildKit; `docker build -t inc-audit .` works the same way by hand.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY inc_audit ./inc_audit
COPY schemas ./schemas
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN useradd --uid 10001 --user-group --create-home inc-audit
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /home/inc-audit
# No ENTRYPOINT: GitLab CI runs its job script through the image's shell.
CMD ["inc-audit", "--help"]
