// @prisma/client names the Prisma CLI (`prisma`) and `typescript` as optional peers, and pnpm
// installs an optional peer wherever the workspace has it, so every production deploy of a
// subgraph carried the CLI and TypeScript (~90 MB) that the running service never loads (its
// generated client needs only @prisma/client's runtime). The CLI stays a devDependency of the
// packages that generate clients and write migrations.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === '@prisma/client' && pkg.peerDependencies) {
        for (const name of ['prisma', 'typescript']) {
          delete pkg.peerDependencies[name];
          if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta[name];
        }
      }
      return pkg;
    },
  },
};
