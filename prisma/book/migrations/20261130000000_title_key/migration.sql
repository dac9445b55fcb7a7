-- Titles are unique by their comparison key, not as typed: "Ｄｕｎｅ" (fullwidth), "DUNE" and
-- "Dune  " are the book "Dune". The key is computed by the book service
-- (subgraphs/book/src/domain/title-key.ts: NFKC, whitespace runs as one space, lower case); the
-- backfill below computes the same key in SQL for books registered before (PostgreSQL's lower()
-- agrees with JavaScript's toLowerCase() for all but a few letters such as the dotted capital I).
-- Two existing books that are look-alikes of each other make this migration fail on the unique
-- index: a person must rename one of them first.

-- AlterTable
ALTER TABLE "Book" ADD COLUMN     "titleKey" TEXT;
UPDATE "Book" SET "titleKey" = lower(regexp_replace(normalize("title", NFKC), '\s+', ' ', 'g'));
ALTER TABLE "Book" ALTER COLUMN "titleKey" SET NOT NULL;

-- DropIndex
DROP INDEX "Book_title_key";

-- CreateIndex
CREATE UNIQUE INDEX "Book_titleKey_key" ON "Book"("titleKey");
