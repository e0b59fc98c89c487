// @peculiar/x509 (through tsyringe) needs a Reflect metadata polyfill and none is installed; this is
// the small subset it uses. Import it before @peculiar/x509.
type MetadataMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();

function own(target: object, property: PropertyKey | undefined, create: boolean): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (!map && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

const shim = {
  defineMetadata(key: unknown, value: unknown, target: object, property?: PropertyKey) {
    own(target, property, true)!.set(key, value);
  },
  getOwnMetadata(key: unknown, target: object, property?: PropertyKey) {
    return own(target, property, false)?.get(key);
  },
  getMetadata(key: unknown, target: object, property?: PropertyKey): unknown {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  },
  hasMetadata(key: unknown, target: object, property?: PropertyKey): boolean {
    return shim.getMetadata(key, target, property) !== undefined;
  },
  metadata(key: unknown, value: unknown) {
    return (target: object, property?: PropertyKey) => shim.defineMetadata(key, value, target, property);
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
for (const [name, fn] of Object.entries(shim)) if (typeof reflect[name] !== "function") reflect[name] = fn;
