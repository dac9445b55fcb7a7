-- CreateTable
CREATE TABLE "ReviewableOrder" (
    "orderId" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
    "bookId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

