# convert-seed.jq - how data/*.jsonl were made from the program's gathered
# facts (shared/data/{products,validated-configs}.jsonl): the same facts and
# sources, in covalid's catalog format (docs/catalog.md).  Run as
#   jq -c --slurpfile lifecycle data/product-lifecycle.jsonl --slurpfile products products.jsonl \
#      -f data/convert-seed.jq products.jsonl validated-configs.jsonl
# What this adds is derived, never new: the guest's os_id, the hypervisor's
# ids (systemd-detect-virt vocabulary; both on configurations and products,
# where they say whose a submitted configuration's guest and hypervisor
# are: docs/catalog.md, "Products"), builds and host_version (Hyper-V's
# version as the probe reads it), vendor names out of validated_by,
# required_components for Linux guests on Hyper-V (the VMBus, storage and
# network drivers the statements name), and each configuration's links to
# its products (guest.product_id, hypervisor.product_id: docs/catalog.md,
# "Linking configurations to products").  Inferred values are listed in
# inferred_fields, as the seed does.
#
# The one addition of facts is data/product-lifecycle.jsonl: each product's
# vendor life cycle (eol_date, lifecycle) with its sources, gathered from the
# vendors' life-cycle pages; it replaces the seed's dates (osinfo-db's, some
# of them wrong) and keeps the seed's source keys after the vendors' sources.

def arr: if . == null then null elif type == "array" then . else split(",") | map(gsub("^ +| +$"; "")) end;

def os_id:
  if test("^Red Hat Enterprise Linux") then "rhel"
  elif test("^Windows|^Microsoft Windows") then "windows"
  elif test("^SUSE Linux Enterprise Server") then "sles"
  else ascii_downcase | gsub("[^a-z0-9]+"; "-") end;

def hv_ids:
  if test("Hyper-V") then ["microsoft"]
  elif test("KVM/Xen") then ["kvm", "xen"]
  elif test("KVM|Red Hat Virtualization|oVirt") then ["kvm"]
  elif test("Xen") then ["xen"]
  elif test("VMware") then ["vmware"]
  elif test("unspecified") then ["kvm", "xen"]
  else ["vm-other"] end;

# Hyper-V: host builds and the hypervisor version CPUID leaf 0x40000002 gives.
def hyperv_release:
  { "2008": ["6.0", ["6001", "6002", "6003"]],
    "2008 R2": ["6.1", ["7600", "7601"]],
    "2012": ["6.2", ["9200"]],
    "2012 R2": ["6.3", ["9600"]],
    "2016": ["10.0", ["14393"]],
    "2019": ["10.0", ["17763"]],
    "2022": ["10.0", ["20348"]],
    "2025": ["10.0", ["26100"]] }[.];

def vendor_name: sub(" \\(.*$"; "");

# The vendor life cycles, by product id.
def lifecycles: ($lifecycle // []) | map({ (.id): . }) | add // {};

def product:
  ({ type: "product" } + (. | del(.arch)) + { arch: (.arch | arr) }
   + (if .kind == "guest_os" then { os_id: (.product | os_id) } else { ids: (.product | hv_ids) } end))
  | . as $p
  | (lifecycles[$p.id]) as $l
  | if $l == null then . else
      . + { eol_date: $l.eol_date,
            release_date: ($p.release_date // $l.release_date),
            lifecycle: $l.lifecycle,
            lifecycle_sources: ($l.sources + (($p.lifecycle_sources // []) - $l.sources)),
            notes: ([$p.notes, "Life cycle: " + $l.notes,
                     (if $p.eol_date != null and $p.eol_date != $l.eol_date
                      then "The seed's eol_date \($p.eol_date) is not the vendor's and was replaced." else null end)]
                    | map(select(. != null and . != "")) | join(" ")) }
    end;

# Links to products (docs/catalog.md, "Linking configurations to products"):
# the same vendor, the same product name and version once a trailing
# parenthesis and any " / " alternative are removed from each; else, for a
# version statement within one major release ("5.2-5.11", "8.x", "5.11+"),
# the product of that major version; else none.
def bare: sub(" \\(.*\\)$"; "") | sub(" / .*$"; "");
def major_of: if test("^[0-9]+\\.[0-9x]+(-[0-9]+\\.[0-9x]+)?\\+?$")
              then (split(".")[0] | split("-")[0]) as $m
                   | if (split("-") | map(split(".")[0]) | unique | length) == 1 then $m else null end
              else null end;
def product_link($kind; $part):
  (($products // []) | map(select(.kind == $kind and .vendor == $part.vendor
                          and (.product | bare) == ($part.product | bare)))) as $same
  | ([$same[] | select((.version | bare) == ($part.version | bare))][0].id)
    // (($part.version | major_of) as $m
        | if $m == null then null else [$same[] | select(.version == $m)][0].id end);

def configuration:
  . as $c
  | (if ($c.hypervisor.ids // null) == null then ($c.hypervisor.product | hv_ids) else $c.hypervisor.ids end) as $ids
  | (if $ids == ["microsoft"] then ($c.hypervisor.version | hyperv_release) else null end) as $rel
  | ($c.hypervisor.build // null) as $build
  | {
      type: "configuration",
      id: $c.id,
      status: $c.status,
      guest: ({ vendor: $c.guest.vendor, product: $c.guest.product, os_id: ($c.guest.product | os_id),
                version: $c.guest.version, arch: ($c.guest.arch | arr),
                osinfo_short_id: $c.guest.osinfo_short_id }
              + (if $c.guest.service_pack then { service_pack: $c.guest.service_pack } else {} end)
              + (if $c.guest.editions then { editions: $c.guest.editions } else {} end)
              + (product_link("guest_os"; $c.guest) as $p | if $p then { product_id: $p } else {} end)),
      hypervisor: ({ vendor: $c.hypervisor.vendor, product: $c.hypervisor.product, ids: $ids,
                     version: $c.hypervisor.version }
                   + (if $rel then { host_version: $rel[0],
                                     builds: (if $build then ($build | split("/")) else $rel[1] end) }
                      else {} end)
                   + (if $c.hypervisor.equivalents then { equivalents: $c.hypervisor.equivalents } else {} end)
                   + (if $c.hypervisor.engine_os_type then { engine_os_type: $c.hypervisor.engine_os_type } else {} end)
                   + (product_link("hypervisor"; $c.hypervisor) as $p | if $p then { product_id: $p } else {} end)),
      limits: $c.limits,
      required_components: (if $ids == ["microsoft"] and ($c.guest.product | test("Linux"))
                            then ["vmbus", "storvsc", "netvsc"] else [] end),
      required_drivers: $c.required_drivers,
      recommended_drivers: $c.recommended_drivers,
      integration_components: $c.integration_components,
      vm_generation: $c.vm_generation,
      validated_by: ($c.validated_by | map(vendor_name) | unique),
      validated_by_detail: $c.validated_by,
      conditions: $c.conditions,
      valid_from: $c.valid_from,
      valid_until: null,
      evidence: [],
      source: $c.source,
      source_keys: $c.source_keys,
      inferred_fields: ($c.inferred_fields
                        + (if $ids != ["microsoft"] or ($c.hypervisor.ids // null) != null then [] else ["hypervisor.ids"] end)
                        + (if $rel and ($build == null) then ["hypervisor.builds"] else [] end)
                        + (if $rel then ["hypervisor.host_version"] else [] end)),
      notes: $c.notes
    }
  | with_entries(select(.value != null));

if .kind then product else configuration end
