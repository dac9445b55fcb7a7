import type { ApolloServerPlugin } from '@apollo/server';
import type { ServiceContext } from '@bookshop/runtime';
import { GraphQLError } from 'graphql';

/**
 * A request whose document holds no operation to run — `operationName` names none of its
 * operations, or it holds several and names none — is the client's mistake. Without a gateway,
 * Apollo Server answers it 400; the gateway instead throws while planning, which Apollo answers
 * 500 INTERNAL_SERVER_ERROR. Refused here, before planning, as 400 BAD_REQUEST.
 */
export const operationResolutionPlugin: ApolloServerPlugin<ServiceContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        const message = request.operationName
          ? `The document has no operation named "${request.operationName}".`
          : 'The document holds several operations: name the one to run in operationName.';
        throw new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
      },
    };
  },
};
