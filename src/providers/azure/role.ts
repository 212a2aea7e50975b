/**
 * The least a service principal (or managed identity) needs for the `azure` driver, as an Azure custom role
 * definition (`az role definition create --role-definition role.json`, with AssignableScopes set to the
 * resource group Tessera works in). Each action is one the driver's calls need: the VM and its actions, its NIC
 * (and joining the subnet — assign the role on the virtual network's resource group too when that is another
 * one), its OS disk, the size list and the status of long-running operations. The tests run the driver against
 * the ARM double with exactly these actions granted, so a missing one fails there.
 */
export const TESSERA_AZURE_ROLE = {
  Name: 'Tessera VM operator',
  IsCustom: true,
  Description: 'Lets Tessera create, observe, power and delete VMs with their NICs and OS disks in one resource group.',
  Actions: [
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/write',
    'Microsoft.Compute/virtualMachines/delete',
    'Microsoft.Compute/virtualMachines/start/action',
    'Microsoft.Compute/virtualMachines/powerOff/action',
    'Microsoft.Compute/virtualMachines/restart/action',
    'Microsoft.Compute/virtualMachines/deallocate/action',
    'Microsoft.Compute/virtualMachines/instanceView/read',
    // The OS disk is made by the VM's create; kept here so that a subscription checking it on the caller works too.
    'Microsoft.Compute/disks/write',
    'Microsoft.Compute/disks/delete',
    'Microsoft.Compute/skus/read',
    'Microsoft.Compute/locations/operations/read',
    // Only for images given by id (a custom image, or a Compute Gallery image version).
    'Microsoft.Compute/images/read',
    'Microsoft.Compute/galleries/images/versions/read',
    'Microsoft.Network/networkInterfaces/read',
    'Microsoft.Network/networkInterfaces/write',
    'Microsoft.Network/networkInterfaces/delete',
    'Microsoft.Network/networkInterfaces/join/action',
    'Microsoft.Network/virtualNetworks/subnets/join/action',
    'Microsoft.Network/locations/operations/read',
  ],
  NotActions: [] as string[],
  AssignableScopes: ['/subscriptions/SUBSCRIPTION_ID/resourceGroups/RESOURCE_GROUP'],
};
