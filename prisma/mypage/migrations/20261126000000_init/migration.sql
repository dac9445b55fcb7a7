-- CreateTable
CREATE TABLE "MyPageEntry" (
    "orderId" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
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

-- CreateIndex
CREATE INDEX "MyPageEntry_customerId_orderId_idx" ON "MyPageEntry"("customerId", "orderId");

