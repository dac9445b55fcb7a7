-- Written by hand: Prisma's schema does not describe functions.
--
-- A new order, PENDING, unless its customer holds `max_open` open orders already or used its
-- idempotency key before — in one round trip. The customer's advisory lock comes first; the insert
-- after it is a statement of its own, so (a VOLATILE function's statements each take a fresh
-- snapshot) the count it checks includes every order a racing request committed while this one
-- waited for the lock. Answers the inserted row, or none. The lock is held until the caller's
-- transaction ends (the statement's own, when it runs alone).
CREATE FUNCTION "start_pending_order"(
    "lock_class" INTEGER,
    "new_id" UUID,
    "customer" TEXT,
    "book_title" TEXT,
    "copies" INTEGER,
    "ship_to" TEXT,
    "pending" "OrderStatus",
    "open_statuses" "OrderStatus"[],
    "max_open" BIGINT,
    "key" TEXT,
    "correlation" TEXT
) RETURNS SETOF "Order" LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock("lock_class", hashtext("customer"));
    RETURN QUERY
    INSERT INTO "Order" ("id", "customerId", "title", "quantity", "address", "status", "idempotencyKey", "correlationId", "createdAt", "updatedAt")
    SELECT "new_id", "customer", "book_title", "copies", "ship_to", "pending", "key", "correlation", now(), now()
    WHERE (SELECT count(*) FROM "Order" o WHERE o."customerId" = "customer" AND o."status" = ANY("open_statuses")) < "max_open"
    ON CONFLICT ("customerId", "idempotencyKey") DO NOTHING
    RETURNING *;
END
$$;
