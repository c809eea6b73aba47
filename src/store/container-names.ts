/** Docker-style generated names ("brave_turing") for containers without --name. */
const ADJECTIVES = [
  "admiring", "agitated", "amazing", "blissful", "bold", "brave", "busy", "clever", "cool", "dazzling",
  "eager", "ecstatic", "elegant", "epic", "festive", "focused", "gallant", "happy", "jolly", "keen",
  "kind", "laughing", "lucid", "modest", "nifty", "optimistic", "quirky", "relaxed", "serene", "sharp",
  "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly", "youthful", "zealous", "zen",
];
const NAMES = [
  "allen", "babbage", "bardeen", "bell", "booth", "carson", "cerf", "curie", "darwin", "dijkstra",
  "einstein", "euler", "feynman", "franklin", "galileo", "gauss", "hamilton", "hopper", "hypatia", "kepler",
  "knuth", "lamarr", "lamport", "liskov", "lovelace", "mccarthy", "meitner", "mirzakhani", "newton", "noether",
  "pascal", "perlman", "ritchie", "shannon", "tesla", "thompson", "torvalds", "turing", "wilson", "wozniak",
];

export function generateName(taken: Set<string>): string {
  for (let i = 0; ; i++) {
    const a = ADJECTIVES[Math.floor(Math.random() * ADJECTIVES.length)]!;
    const n = NAMES[Math.floor(Math.random() * NAMES.length)]!;
    const name = i < 10 ? `${a}_${n}` : `${a}_${n}${i}`;
    if (!taken.has(name)) return name;
  }
}

export const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
