# syntax=docker/dockerfile:1
# One image per service, all from this file:
#   docker build --build-arg SERVICE=campaigns -t adly-campaigns .
# The entry point is the service's own command line (`adly-<svc>`), so
#   docker run adly-campaigns migrate      applies the schema's migrations (once, before serve)
#   docker run adly-campaigns              serves all roles (api, worker, relay) on port 8000

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<auth|catalog|campaigns|creative|analytics|notifications|gateway>" >&2; exit 1; }
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY libs/events/ libs/events/
COPY libs/kit/ libs/kit/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN python -m venv /opt/adly \
 && /opt/adly/bin/pip install ./libs/events ./libs/kit "./services/${SERVICE}" \
 && ln -s "/opt/adly/bin/adly-${SERVICE}" /opt/adly/bin/adly-service

FROM ${PYTHON_IMAGE}
ARG SERVICE
LABEL org.opencontainers.image.title="adly-${SERVICE}"
# Only creative speaks: the offline provider's voice-overs come from espeak-ng, and without it
# a video is silent (the step says why). The other images stay without it.
RUN if [ "${SERVICE}" = creative ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends espeak-ng \
      && apt-get clean \
      && rm -rf /var/lib/apt/lists/*; \
    fi
# /var/lib/adly/assets exists, owned by the service user, so a fresh named volume mounted there
# (creative's assets in docker-compose.yml) takes that owner: the root filesystem is read-only.
RUN groupadd --system --gid 10001 adly \
 && useradd --system --uid 10001 --gid adly --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin adly \
 && install -d -o 10001 -g 10001 /var/lib/adly /var/lib/adly/assets
COPY --from=build /opt/adly /opt/adly
ENV PATH=/opt/adly/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ADLY_SERVICE=${SERVICE} \
    ADLY_HTTP_HOST=0.0.0.0 \
    ADLY_HTTP_PORT=8000
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('ADLY_HTTP_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["adly-service"]
CMD ["serve"]
