-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_MyPageEntry" (
    "orderId" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
    "bookId" TEXT NOT NULL DEFAULT '',
    "title" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "orderStatus" TEXT NOT NULL,
    "deliveryStatus" TEXT,
    "reviewRating" INTEGER,
    "reviewContent" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_MyPageEntry" ("address", "createdAt", "customerId", "deliveryStatus", "orderId", "orderStatus", "quantity", "reviewContent", "reviewRating", "title", "updatedAt", "version") SELECT "address", "createdAt", "customerId", "deliveryStatus", "orderId", "orderStatus", "quantity", "reviewContent", "reviewRating", "title", "updatedAt", "version" FROM "MyPageEntry";
DROP TABLE "MyPageEntry";
ALTER TABLE "new_MyPageEntry" RENAME TO "MyPageEntry";
CREATE INDEX "MyPageEntry_customerId_orderId_idx" ON "MyPageEntry"("customerId", "orderId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

