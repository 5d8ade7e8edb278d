# newsbot as a container: the package installed into a slim Python image, run as a non-root user,
# the corpus and the state as volumes. Build: docker build -t newsbot .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install . && rm -rf /build

RUN useradd --create-home --uid 10001 newsbot \
    && mkdir -p /srv/newsbot/corpus /srv/newsbot/data \
    && chown -R newsbot:newsbot /srv/newsbot
USER newsbot
WORKDIR /srv/newsbot

ENV NEWSBOT_CORPUS_DIR=/srv/newsbot/corpus \
    NEWSBOT_DATA_DIR=/srv/newsbot/data
VOLUME ["/srv/newsbot/corpus", "/srv/newsbot/data"]

HEALTHCHECK --interval=5m --timeout=30s --start-period=1m CMD ["newsbot", "check"]
CMD ["newsbot", "bot"]
