import { opaBinary, pinnedOpaVersion } from './opa';

describe('opaBinary', () => {
  it('throws how to install OPA when there is none', () => {
    expect(() => opaBinary({ WARD_HOME: '/nonexistent/ward' })).toThrow(
      /OPA v\d+\.\d+\.\d+ is not installed at \/nonexistent\/ward\/tools\/opa-v.*bash deploy\/local\/tools\.sh opa/,
    );
    expect(() => opaBinary({ WARD_OPA: '/nonexistent/opa' })).toThrow(/WARD_OPA/);
  });

  it('prefers WARD_OPA and reads the pinned version from deploy/local/tools.sh', () => {
    expect(opaBinary({ WARD_OPA: process.execPath })).toBe(process.execPath);
    expect(pinnedOpaVersion()).toMatch(/^v\d+\.\d+\.\d+$/);
  });
});
