import { randomInt } from 'node:crypto';
import { ConflictError, InvalidArgumentError } from '../errors/index.js';

/** Docker's container name rule (daemon/names: RestrictedNamePattern). */
const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

// A short sample of Docker's namesgenerator lists: names look like docker's ("eager_turing").
const LEFT = ['admiring', 'adoring', 'affectionate', 'amazing', 'awesome', 'beautiful', 'blissful', 'bold', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'confident', 'cool', 'crazy', 'dazzling', 'determined', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen'];
const RIGHT = ['albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bell', 'bhabha', 'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brown', 'carson', 'cerf', 'chandrasekhar', 'chatelet', 'clarke', 'curie', 'darwin', 'davinci', 'dijkstra', 'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hopper', 'hypatia', 'jackson', 'jang', 'johnson', 'kalam', 'kepler', 'knuth', 'kowalevski', 'lamarr', 'leakey', 'lovelace', 'lumiere', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'merkle', 'mirzakhani', 'montalcini', 'morse', 'newton', 'nobel', 'noether', 'pare', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ramanujan', 'ride', 'ritchie', 'rubin', 'sammet', 'shannon', 'shockley', 'sinoussi', 'stallman', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'visvesvaraya', 'wilbur', 'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath'];

/**
 * Container names → ids, unique per daemon. Reservation is synchronous, so two creates racing
 * for one name cannot both win.
 */
export class NameRegistry {
  private readonly byName = new Map<string, string>();

  reserve(name: string, id: string): void {
    const n = validateName(name);
    const holder = this.byName.get(n);
    if (holder && holder !== id) {
      throw new ConflictError(`Conflict. The container name "${n}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.byName.set(n, id);
  }

  release(name: string): void {
    this.byName.delete(name.startsWith('/') ? name : `/${name}`);
  }

  get(name: string): string | undefined {
    return this.byName.get(name.startsWith('/') ? name : `/${name}`);
  }

  /** A free docker-style name (`eager_turing`, with a digit appended on collision). */
  generate(id: string): string {
    for (let attempt = 0; attempt < 10; attempt++) {
      let name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
      if (attempt > 0) name += String(randomInt(10));
      if (!this.byName.has(`/${name}`)) { this.reserve(name, id); return `/${name}`; }
    }
    const name = `/${id.slice(0, 12)}`;
    this.reserve(name, id);
    return name;
  }
}
