// inside() and onShard() are in @sdl/compose (the game days use them too); tests and bench import them from here.
export { inside, onShard } from '@sdl/compose';
