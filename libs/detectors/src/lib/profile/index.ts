export * from './settings';
export * from './sketches';
export * from './state';
export * from './engine';
