import { cxgVitest } from '../../vitest.shared.ts';

export default cxgVitest('grafana');
