# storyline as a service: one image, two processes on one volume.
#
#   docker build -t storyline .
#   docker volume create news
#   docker run --rm -v news:/data storyline storyline follow add https://example.org/rss.xml
#   docker run -d --name follow -v news:/data storyline
#   docker run -d --name web -v news:/data -p 8000:8000 -e STORYLINE_TOKEN=... storyline \
#       storyline serve --db /data/storyline.db --host 0.0.0.0 --port 8000
#
# or `docker compose up -d` with deploy/compose.yaml. The default command polls every 15 minutes.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /opt/storyline
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install .
RUN useradd --create-home --uid 1000 storyline && mkdir -p /data && chown storyline /data

USER storyline
VOLUME ["/data"]
EXPOSE 8000
CMD ["storyline", "follow", "run", "--db", "/data/storyline.db", "--every", "15m", "--max-articles-per-day", "5000"]
