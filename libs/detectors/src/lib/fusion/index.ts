export * from './indicators';
export * from './intel';
export * from './correlate';
export * from './graph';
export * from './narrative';
