import '../shims/process.js';
import doc from '../../../docs/distributed.md?raw';
import { docPage } from '../ui/doc-page.js';

docPage({
  page: 'distributed', docName: 'distributed.md', doc,
  title: 'Distributed training and infrastructure',
  intro: 'Data, ZeRO, tensor, sequence and pipeline parallelism on gradpath\'s own GPT-2 and char GPT, over MPI.',
  notHere: 'It needs MPI and several processes (`gradpath launch -n N -- ...`), which a browser tab does not have; the results below are the chapter\'s measured runs and plans.',
  command: 'gradpath dist build                               # once: the MPI addon\ngradpath plan --model gpt2 --gpus 4 --dp 2 --tp 2  # memory and communication per rank, before running\ngradpath launch -n 2 -- gpt2 train --dp 2 ...      # any training command on 2 ranks',
  sections: ['intro', /^## Step timings/, /^## Memory per rank/, /^## Results/],
});
