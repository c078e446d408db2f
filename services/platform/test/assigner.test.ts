import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CoPartitionAssigner } from '../src/kafka.ts';

/** The assigner only reads partition metadata from the cluster; six partitions per topic here. */
const cluster = { findTopicPartitionMetadata: () => [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId })) } as never;

async function plan(memberIds: string[]) {
  const assigner = CoPartitionAssigner({ cluster, groupId: 'g', logger: console as never });
  const out = await assigner.assign({
    members: memberIds.map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) })),
    topics: ['cx.contacts.v1', 'cx.web.v1'],
  });
  return Object.fromEntries(out.map((a) => [a.memberId, AssignerProtocol.MemberAssignment.decode(a.memberAssignment)!.assignment]));
}

describe('CoPartitionAssigner', () => {
  it('gives partition i of every input topic to the same member', async () => {
    const p = await plan(['m-b', 'm-a', 'm-c', 'm-d']);
    for (const assignment of Object.values(p)) expect(assignment['cx.contacts.v1']).toEqual(assignment['cx.web.v1']);
    const all = Object.values(p).flatMap((a) => a['cx.contacts.v1'] ?? []).sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('is the same plan whatever order members arrive in', async () => {
    expect(await plan(['x', 'y', 'z'])).toEqual(await plan(['z', 'x', 'y']));
  });
});
