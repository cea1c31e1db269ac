# One image for web, worker and beat.
FROM python:3.11-slim-bookworm AS assets
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=gdi_ims.settings.base
# WeasyPrint's pango and harfbuzz-subset (without it every PDF is ~8x slower), gettext for
# compilemessages, the PostgreSQL client for backups.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 ims
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY --from=assets /app/node_modules ./node_modules
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
    && python manage.py compilemessages --ignore=node_modules -v 0 \
    && DJANGO_SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
       BLIND_INDEX_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
       AUDIT_HMAC_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
       python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/media /app/var/anchors && chown -R ims /app/media /app/var
USER ims
EXPOSE 8000
ENV GUNICORN_BIND=0.0.0.0:8000
CMD ["gunicorn", "gdi_ims.wsgi:application", "--config", "python:gdi_ims.gunicorn"]
