# The bot's image: one image, four processes (see compose.yaml and the Procfile).
# Build stage: install the pinned, hashed dependencies of requirements.lock and the project into a venv.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes -r /tmp/requirements.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY question_bank ./question_bank
COPY storage ./storage
RUN /opt/venv/bin/pip install --no-deps .

# Final stage: the slim base, the venv and nothing else (no compilers, no pip cache), as a non-root user.
FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home bot
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
USER bot
EXPOSE 3000
CMD ["python", "-m", "bot", "slack"]
