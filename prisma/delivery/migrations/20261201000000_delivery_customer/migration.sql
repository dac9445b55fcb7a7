-- Who may see a shipment: the order's customer, learnt from OrderPlaced. Existing shipments keep
-- NULL (delivery never knew their customer): only staff and couriers see those.
ALTER TABLE "Delivery" ADD COLUMN "customerId" TEXT;
