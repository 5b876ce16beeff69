# convert-seed.jq - how data/*.jsonl were made from the program's gathered
# facts (shared/data/{products,validated-configs}.jsonl): the same facts and
# sources, in covalid's catalog format (docs/catalog.md).  Run as
#   jq -c -f data/convert-seed.jq products.jsonl validated-configs.jsonl
# What this adds is derived, never new: the guest's os_id, the hypervisor's
# ids (systemd-detect-virt vocabulary), builds and host_version (Hyper-V's
# version as the probe reads it), vendor names out of validated_by, and
# required_components for Linux guests on Hyper-V (the VMBus, storage and
# network drivers the statements name).  Inferred values are listed in
# inferred_fields, as the seed does.

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

def product:
  { type: "product" } + (. | del(.arch)) + { arch: (.arch | arr) };

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
              + (if $c.guest.editions then { editions: $c.guest.editions } else {} end)),
      hypervisor: ({ vendor: $c.hypervisor.vendor, product: $c.hypervisor.product, ids: $ids,
                     version: $c.hypervisor.version }
                   + (if $rel then { host_version: $rel[0],
                                     builds: (if $build then ($build | split("/")) else $rel[1] end) }
                      else {} end)
                   + (if $c.hypervisor.equivalents then { equivalents: $c.hypervisor.equivalents } else {} end)
                   + (if $c.hypervisor.engine_os_type then { engine_os_type: $c.hypervisor.engine_os_type } else {} end)),
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
