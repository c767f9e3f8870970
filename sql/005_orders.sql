-- Webshop orders, registered through the management API, for
-- mark-purchase-tracked. purchase_json keeps the purchase exactly as the
-- endpoint answers it (key order included); tracked_at is set once, from the
-- stream, when the first caller marks a paid order.
CREATE TABLE orders (
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_session   text NOT NULL CHECK (order_session ~ '^[A-Za-z0-9._:-]{1,191}$'),
    payment_status  text NOT NULL CHECK (payment_status ~ '^[a-z_]{1,32}$'),
    purchase_json   text NOT NULL,
    tracked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, order_session)
);
