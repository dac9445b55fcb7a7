-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ReviewableOrder" (
    "orderId" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT,
    "bookId" TEXT,
    "status" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_ReviewableOrder" ("bookId", "customerId", "orderId", "status", "updatedAt") SELECT "bookId", "customerId", "orderId", "status", "updatedAt" FROM "ReviewableOrder";
DROP TABLE "ReviewableOrder";
ALTER TABLE "new_ReviewableOrder" RENAME TO "ReviewableOrder";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
