import { helmBinary, pinnedHelmVersion, validatedKubeVersion } from './helm';

describe('helmBinary', () => {
  it('throws how to install Helm when there is none', () => {
    expect(() => helmBinary({ WARD_HOME: '/nonexistent/ward' })).toThrow(
      /Helm v\d+\.\d+\.\d+ is not installed at \/nonexistent\/ward\/tools\/helm-v.*bash deploy\/local\/tools\.sh helm/,
    );
    expect(() => helmBinary({ WARD_HELM: '/nonexistent/helm' })).toThrow(/WARD_HELM/);
  });

  it('prefers WARD_HELM and reads the pinned version from deploy/local/tools.sh', () => {
    expect(helmBinary({ WARD_HELM: process.execPath })).toBe(process.execPath);
    expect(pinnedHelmVersion()).toMatch(/^v3\.\d+\.\d+$/);
  });
});

describe('validatedKubeVersion', () => {
  it("is the Kubernetes release of deploy/k8s-validate's k8s.io/api module", () => {
    expect(validatedKubeVersion()).toMatch(/^1\.\d+\.\d+$/);
  });
});
