/**
 * The learning path in the order its author gives it (issue #19): grokking first, as the
 * intuition, then backpropagation, character-level models, transformers and MLA, GPT-2, the
 * physics of language models, distributed training. NEAT and vision, also in gradpath, follow.
 */
export interface Chapter {
  title: string;
  /** Name in the nav bar. */
  short: string;
  /** lab/<page>.html, or null while the chapter has no page. */
  page: string | null;
  what: string;
  /** What it builds on: the original lecture, paper or book. */
  sources: { label: string; href: string }[];
  /** What runs in the browser, or why not yet. */
  browser: string;
  live: boolean;
}

export const CHAPTERS: Chapter[] = [
  {
    title: 'Grokking', short: 'grokking', page: 'grokking', live: true,
    what: 'A small transformer learns modular addition: it memorises the training pairs first and generalises long after, by a Fourier algorithm visible in its embedding.',
    sources: [
      { label: 'Power et al. 2022, Grokking', href: 'https://arxiv.org/abs/2201.02177' },
      { label: 'Nanda et al. 2023, Progress measures for grokking', href: 'https://arxiv.org/abs/2301.05217' },
    ],
    browser: 'trains the quick preset live: train and validation accuracy, the Fourier spectrum of the embedding',
  },
  {
    title: 'Backpropagation: micrograd', short: 'micrograd', page: 'micrograd', live: true,
    what: 'A scalar autograd engine: every value remembers how it was made, and backward() applies the chain rule from the output to the leaves.',
    sources: [
      { label: 'Karpathy, The spelled-out intro to neural networks and backpropagation', href: 'https://www.youtube.com/watch?v=VMj-3S1tku0' },
      { label: 'karpathy/micrograd', href: 'https://github.com/karpathy/micrograd' },
    ],
    browser: 'an expression you type, drawn with data and gradients, stepped backward node by node; the moons MLP training',
  },
  {
    title: 'Character-level models: makemore', short: 'makemore', page: 'makemore', live: true,
    what: 'Language models of names, from counting bigrams to an MLP, a WaveNet, RNNs and a transformer, on the same tensor engine.',
    sources: [
      { label: 'Karpathy, Neural Networks: Zero to Hero (makemore parts 1-5)', href: 'https://karpathy.ai/zero-to-hero.html' },
      { label: 'Bengio et al. 2003, A neural probabilistic language model', href: 'https://www.jmlr.org/papers/v3/bengio03a.html' },
    ],
    browser: 'every model type trains live: train and test loss, samples, the bigram count heatmap',
  },
  {
    title: 'Transformers and MLA', short: 'transformers', page: 'transformers', live: true,
    what: 'Self-attention from scratch: a character-level GPT, and the attention designs that shrink the KV cache (GQA, MQA, multi-head latent attention).',
    sources: [
      { label: 'Vaswani et al. 2017, Attention is all you need', href: 'https://arxiv.org/abs/1706.03762' },
      { label: "Karpathy, Let's build GPT: from scratch, in code, spelled out", href: 'https://www.youtube.com/watch?v=kCc8FmEb1nY' },
      { label: 'DeepSeek-AI 2024, DeepSeek-V2 (MLA)', href: 'https://arxiv.org/abs/2405.04434' },
    ],
    browser: 'the tiny char GPT trains on text you paste; attention maps for a prompt; KV-cache sizes of MHA/GQA/MQA/MLA',
  },
  {
    title: 'GPT-2', short: 'GPT-2', page: 'gpt2', live: true,
    what: "Byte-level BPE and the GPT-2 model: OpenAI's tokenizer, the 124M model, its weights, training and sampling.",
    sources: [
      { label: 'Radford et al. 2019, Language models are unsupervised multitask learners', href: 'https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf' },
      { label: "Karpathy, Let's build the GPT tokenizer", href: 'https://www.youtube.com/watch?v=zduSFxRajkE' },
      { label: "Karpathy, Let's reproduce GPT-2 (124M)", href: 'https://www.youtube.com/watch?v=l8pRSuU81PU' },
    ],
    browser: 'the tokenizer playground (the same ids as `gradpath bpe encode`); sampling from a model trained with the CLI (`gradpath lab runs/`); training stays in the CLI',
  },
  {
    title: 'The physics of language models', short: 'physics', page: 'physics', live: false,
    what: 'Controlled experiments on what language models store and how they extract it: synthetic biographies, knowledge augmentation, linear probes.',
    sources: [
      { label: 'Allen-Zhu and Li, Physics of Language Models', href: 'https://physics.allen-zhu.com/' },
      { label: 'Allen-Zhu and Li 2023, Part 3.1: knowledge storage and extraction', href: 'https://arxiv.org/abs/2309.14316' },
    ],
    browser: 'not in the browser yet: the page shows the chapter\'s results and commands (`gradpath physics knowledge`)',
  },
  {
    title: 'Distributed training and infrastructure', short: 'distributed', page: 'distributed', live: false,
    what: 'Data, tensor, sequence and pipeline parallelism and ZeRO, on an MPI communicator built here.',
    sources: [
      { label: 'Hugging Face, The Ultra-Scale Playbook', href: 'https://huggingface.co/spaces/nanotron/ultrascale-playbook' },
      { label: 'Rajbhandari et al. 2020, ZeRO', href: 'https://arxiv.org/abs/1910.02054' },
      { label: 'Shoeybi et al. 2019, Megatron-LM', href: 'https://arxiv.org/abs/1909.08053' },
    ],
    browser: 'not in the browser: it needs MPI and several processes (`gradpath launch`); the page shows its results and commands',
  },
  {
    title: 'Neuroevolution: NEAT', short: 'NEAT', page: 'neat', live: true,
    what: 'Evolving the weights and the shape of networks: birds learn to fly through pipes, generation by generation.',
    sources: [{ label: 'Stanley and Miikkulainen 2002, Evolving neural networks through augmenting topologies', href: 'https://nn.cs.utexas.edu/downloads/papers/stanley.ec02.pdf' }],
    browser: 'a whole generation flying on a canvas, the champion\'s network, and the game to play yourself',
  },
  {
    title: 'How models see: conv nets and loss landscapes', short: 'vision', page: 'vision', live: false,
    what: 'A convolutional network on Fashion-MNIST against an MLP, what its layers learned to see, and the loss landscape around trained weights.',
    sources: [
      { label: 'Krizhevsky et al. 2012, ImageNet classification with deep CNNs (AlexNet)', href: 'https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks' },
      { label: 'Li et al. 2018, Visualizing the loss landscape of neural nets', href: 'https://arxiv.org/abs/1712.09913' },
    ],
    browser: 'not in the browser yet: the page shows the chapter\'s results, pictures and commands (`gradpath vision`)',
  },
  {
    title: 'Runs viewer', short: 'runs', page: 'runs', live: true,
    what: 'The curves of run directories made by the CLI (metrics.jsonl), side by side, as TensorBoard does for PyTorch.',
    sources: [{ label: 'TensorBoard, for comparison', href: 'https://www.tensorflow.org/tensorboard' }],
    browser: 'open the runs `gradpath lab runs/` serves, or drop a run folder',
  },
];
