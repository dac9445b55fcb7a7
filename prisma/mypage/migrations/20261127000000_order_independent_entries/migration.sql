-- CreateTable
CREATE TABLE "InstanceHeartbeat" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "instance" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seenAt" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_MyPageEntry" (
    "orderId" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT,
    "bookId" TEXT NOT NULL DEFAULT '',
    "title" TEXT,
    "quantity" INTEGER,
    "address" TEXT,
    "orderStatus" TEXT NOT NULL,
    "deliveryStatus" TEXT,
    "deliveryStarted" BOOLEAN NOT NULL DEFAULT false,
    "reviewRating" INTEGER,
    "reviewContent" TEXT,
    "stockReleased" BOOLEAN NOT NULL DEFAULT false,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
-- An entry with a delivery status has seen its delivery start. Which entries saw their
-- StockReleased was never recorded: they start without it, so a replayed one changes them once more.
INSERT INTO "new_MyPageEntry" ("address", "bookId", "createdAt", "customerId", "deliveryStarted", "deliveryStatus", "orderId", "orderStatus", "quantity", "reviewContent", "reviewRating", "title", "updatedAt", "version") SELECT "address", "bookId", "createdAt", "customerId", "deliveryStatus" IS NOT NULL, "deliveryStatus", "orderId", "orderStatus", "quantity", "reviewContent", "reviewRating", "title", "updatedAt", "version" FROM "MyPageEntry";
DROP TABLE "MyPageEntry";
ALTER TABLE "new_MyPageEntry" RENAME TO "MyPageEntry";
CREATE INDEX "MyPageEntry_customerId_orderId_idx" ON "MyPageEntry"("customerId", "orderId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
