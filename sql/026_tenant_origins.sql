-- The web origins a tenant's pages are served from ("https://shop.example",
-- normalised: lowercase, no default port, no path), for the module's
-- analytics_tenant_origins: where it is on, a browser's beacon from another
-- origin (one not in the location's analytics_cors_origin list) is refused
-- for this tenant. NULL, the default and every existing tenant's value: the
-- tenant registered none, and any origin is let in as before; an empty
-- array: none is.
ALTER TABLE tenants ADD COLUMN origins text[];
ALTER TABLE tenants ADD CONSTRAINT tenants_origins_bounded CHECK (cardinality(origins) <= 100);
