-- Products a tenant sells. The track endpoint accepts a product_id only if
-- the product exists for that tenant (mirrored into Redis for the module).
CREATE TABLE products (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    sku          text CHECK (length(sku) BETWEEN 1 AND 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, sku)
);
CREATE INDEX products_tenant ON products (tenant_id, id);
