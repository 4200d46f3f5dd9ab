import '../shims/process.js';
import doc from '../../../docs/vision.md?raw';
import { docPage } from '../ui/doc-page.js';

docPage({
  page: 'vision', docName: 'vision.md', doc,
  title: 'How models see and how they learn: conv nets and loss landscapes',
  intro: 'A convolutional network on Fashion-MNIST against an MLP, what its filters and layers learned to see, and what the loss landscape around a trained network looks like.',
  notHere: 'Training reads Fashion-MNIST from this machine (Debian\'s dataset-fashion-mnist or a download) and takes minutes to an hour on a CPU; the results below are the chapter\'s measured runs.',
  command: 'gradpath vision train       # the CNN on Fashion-MNIST (--model mlp: the baseline)\ngradpath vision landscape   # loss landscapes with and without skip connections',
  sections: [/^## What it teaches/, /^## Commands/, /^## Results/],
});
